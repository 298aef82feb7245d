// SPDX-License-Identifier: GPL-3.0-or-later
// The run folder's one definition (#19 item 1): every field of every command's configuration survives the command
// line and config.json exactly; malformed options are refused with the option named; the writer's lines read back as
// the same typed records; a write that fails is reported.
#include "core/runs/config.h"
#include "core/runs/launch.h"
#include "core/runs/remote.h"
#include "core/runs/runfolder.h"
#include "core/runs/runreader.h"
#include "core/runs/slurm.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace ms;
using namespace ms::runs;

namespace
{

// A valid value different from the default for every field: choices take another choice, texts get spaces and
// slashes, numbers awkward decimals or the ends of their range, booleans flip.
template <class C> C everyFieldChanged()
{
    C c;
    int k = 0;
    for (const auto& f : fields<C>()) {
        ++k;
        std::visit(
            [&](auto m) {
                using T = std::remove_cvref_t<decltype(c.*m)>;
                if constexpr (std::is_same_v<T, std::string>) {
                    if (f.choices) {
                        const std::string all = f.choices;
                        const std::string last = all.substr(all.rfind('|') + 1), first = all.substr(0, all.find('|'));
                        c.*m = c.*m == last ? first : last;
                    } else {
                        c.*m = "/tmp/a b/" + std::string(f.flag) + "-" + std::to_string(k);
                    }
                } else if constexpr (std::is_same_v<T, bool>) {
                    c.*m = !(c.*m);
                } else if constexpr (std::is_same_v<T, double>) {
                    // 0.1 + 0.2 does not print short at %.10g: it must still read back bit for bit
                    double v = (0.1 + 0.2) * (1 + k);
                    if (v > f.hi)
                        v = f.hi * (0.1 + 0.2) / 3;
                    if (v < f.lo)
                        v = f.lo;
                    c.*m = v == c.*m ? v * 0.5 : v;
                } else if constexpr (std::is_same_v<T, unsigned long long>) {
                    c.*m = 9007199254740991ULL; // 2^53 - 1: the largest a JSON number holds exactly
                } else {
                    const double hi = std::min(f.hi, 1e9);
                    T v = T(hi);
                    if (v == c.*m)
                        v = T(std::max(f.lo, 0.0));
                    c.*m = v;
                }
            },
            f.member);
    }
    return c;
}

template <class C> bool equal(const C& a, const C& b, std::string& which)
{
    for (const auto& f : fields<C>()) {
        if (!std::visit([&](auto m) { return a.*m == b.*m; }, f.member)) {
            which = f.flag;
            return false;
        }
    }
    return true;
}

template <class C> void roundTrips()
{
    const C c = everyFieldChanged<C>();
    std::string error, which;
    QVERIFY2(validate(c, error), error.c_str());
    // Through the command line, every option given.
    const auto args = toArgs(c);
    C back;
    QVERIFY2(fromArgs(args, back, error), error.c_str());
    QVERIFY2(equal(c, back, which), ("--" + which + " changed through the command line").c_str());
    // Through config.json, as text (the number formatting is part of the trip).
    auto parsed = Json::parse(toJson(c).dump(2));
    QVERIFY(parsed.ok());
    C fromFile;
    QVERIFY2(fromJson(*parsed, fromFile, error), error.c_str());
    for (const auto& f : fields<C>()) {
        if (f.flags & Field<C>::kNotInJson)
            continue;
        QVERIFY2(std::visit([&](auto m) { return c.*m == fromFile.*m; }, f.member), (jsonKey(f) + " changed through config.json").c_str());
    }
    // The defaults pass no option but the required ones, and read back as defaults.
    const C def;
    for (const auto& a : toArgs(def))
        if (a.rfind("--", 0) == 0) {
            bool required = false;
            for (const auto& f : fields<C>())
                required = required || (a == std::string("--") + f.flag && (f.flags & Field<C>::kRequired));
            QVERIFY2(required, ("default config passes " + a).c_str());
        }
    // The usage text names every option.
    const std::string u = usage<C>();
    for (const auto& f : fields<C>())
        QVERIFY2(u.find(std::string("--") + f.flag) != std::string::npos, f.flag);
}

} // namespace

class TestRunConfig : public QObject
{
    Q_OBJECT
private slots:
    void trainRoundTrips() { roundTrips<TrainConfig>(); }
    void crossvalRoundTrips() { roundTrips<CrossvalConfig>(); }
    void evalRoundTrips() { roundTrips<EvalConfig>(); }
    void benchRoundTrips() { roundTrips<BenchConfig>(); }
    void combineRoundTrips() { roundTrips<CombineConfig>(); }

    void badArguments_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QStringList base = { "--data", "d", "--run-dir", "r" };
        QTest::newRow("unknown option") << base + QStringList { "--learning-rate", "1" } << "unknown option --learning-rate";
        QTest::newRow("not a number") << base + QStringList { "--lr", "fast" } << "--lr needs a number, got 'fast'";
        QTest::newRow("trailing junk") << base + QStringList { "--epochs", "12abc" } << "--epochs needs an integer, got '12abc'";
        QTest::newRow("fraction for an integer") << base + QStringList { "--batch", "2.5" } << "--batch needs an integer";
        QTest::newRow("out of range") << base + QStringList { "--size", "-64" } << "--size takes 16-4096, got -64";
        QTest::newRow("seed beyond 2^53") << base + QStringList { "--seed", "9007199254740993" } << "--seed takes 0-9007199254740992";
        QTest::newRow("negative seed") << base + QStringList { "--seed", "-1" } << "--seed takes 0-";
        QTest::newRow("not a choice") << base + QStringList { "--optimizer", "lbfgs" } << "--optimizer must be adam or sgd, got 'lbfgs'";
        QTest::newRow("missing value") << base + QStringList { "--epochs" } << "--epochs needs a value";
        QTest::newRow("value for a flag") << base + QStringList { "--class-weights=yes" } << "--class-weights takes no value";
        QTest::newRow("stray argument") << base + QStringList { "extra" } << "unexpected argument 'extra'";
        QTest::newRow("required missing") << QStringList { "--data", "d" } << "--run-dir is required";
        QTest::newRow("not finite") << base + QStringList { "--lr", "nan" } << "--lr";
        QTest::newRow("zero rate") << base + QStringList { "--lr", "0" } << "--lr takes a number > 0, got 0";
    }
    void badArguments()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        std::vector<std::string> a;
        for (const auto& s : args)
            a.push_back(s.toStdString());
        TrainConfig c;
        std::string error;
        QVERIFY(!fromArgs(a, c, error));
        QVERIFY2(QString::fromStdString(error).contains(message), error.c_str());
    }

    void inlineValuesAndNegatedFlags()
    {
        CrossvalConfig c;
        std::string error;
        QVERIFY2(fromArgs({ "--data=/s", "--run-dir", "/r", "--no-other-breast", "--rotate=7.5" }, c, error), error.c_str());
        QCOMPARE(c.data, std::string("/s"));
        QVERIFY(!c.otherBreast);
        QCOMPARE(c.rotateDegrees, 7.5);
        // The JSON keys of earlier run folders are kept.
        const Json j = toJson(c);
        QCOMPARE(j["other_breast"].boolean(true), false);
        QCOMPARE(j["rotate_degrees"].number(), 7.5);
        QVERIFY(j.find("run_dir") == nullptr); // the run folder's own path is not in its config
    }

    void badJson()
    {
        TrainConfig c;
        std::string error;
        QVERIFY(!fromJson(*Json::parse(R"({"epochs":"ten"})"), c, error));
        QVERIFY2(error.find("\"epochs\"") != std::string::npos, error.c_str());
        QVERIFY(!fromJson(*Json::parse(R"({"batch":0})"), c, error));
        QVERIFY2(error.find("--batch takes 1-65536") != std::string::npos, error.c_str());
        QVERIFY(!fromJson(*Json::parse(R"({"mode":"dreaming"})"), c, error));
        QVERIFY(!fromJson(*Json::parse("[1,2]"), c, error));
        // Absent keys keep their values: an older config.json still reads.
        TrainConfig d;
        d.epochs = 33;
        QVERIFY(fromJson(*Json::parse(R"({"arch":"resnet34"})"), d, error));
        QCOMPARE(d.epochs, 33);
        QCOMPARE(d.arch, std::string("resnet34"));
    }

    // config.json as a whole, both commands, and the layout crossval runs had before (options at the top level).
    void runConfigRoundTrips()
    {
        RunConfig r;
        r.command = "crossval";
        r.crossval = everyFieldChanged<CrossvalConfig>();
        r.task = "lesion-map";
        r.channels = 2;
        r.source = Json::object();
        r.source.set("dataset", "/data/mias");
        std::string error;
        RunConfig back;
        QVERIFY2(RunConfig::fromJson(*Json::parse(r.toJson().dump()), back, error), error.c_str());
        QCOMPARE(back.command, std::string("crossval"));
        QCOMPARE(back.crossval.posWeight, r.crossval.posWeight);
        QCOMPARE(back.crossval.freezeEncoder, r.crossval.freezeEncoder);
        QCOMPARE(back.channels, 2);
        QCOMPARE(back.source["dataset"].string(), std::string("/data/mias"));
        QCOMPARE(back.epochs(), r.crossval.epochs);

        RunConfig old;
        QVERIFY(RunConfig::fromJson(
            *Json::parse(R"({"command":"crossval","data":"/s","folds":5,"epochs":60,"rotate_degrees":15,"task":"lesion-map"})"), old,
            error));
        QCOMPARE(old.crossval.folds, 5);
        QCOMPARE(old.crossval.data, std::string("/s"));
        QVERIFY(!RunConfig::fromJson(*Json::parse(R"({"command":"rm -rf"})"), old, error));
        QVERIFY2(error.find("unknown command") != std::string::npos, error.c_str());
    }

    void trainRunRecordsTheWorld()
    {
        RunConfig r;
        r.train.batch = 32;
        r.worldSize = 4;
        r.globalBatch = 128;
        r.launcher = "slurm";
        RunConfig back;
        std::string error;
        QVERIFY2(RunConfig::fromJson(*Json::parse(r.toJson().dump()), back, error), error.c_str());
        QCOMPARE(back.worldSize, 4);
        QCOMPARE(back.globalBatch, 128);
        QCOMPARE(back.launcher, std::string("slurm"));
        // nproc-per-node is how a run was started, not what it is: not in config.json (world_size is)
        QVERIFY(!toJson(r.train).find("nproc_per_node"));
    }

    // Who a process is, from the variables torchrun, srun or mammoscope-train --nproc-per-node set.
    void launchEnvironment_data()
    {
        QTest::addColumn<QStringList>("env");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("expected"); // "launcher rank/world local localWorld addr:port" or the error's words
        QTest::newRow("nothing: one process") << QStringList() << true << " 0/1 0 1 127.0.0.1:29500";
        QTest::newRow("torchrun") << QStringList { "RANK=3", "LOCAL_RANK=1", "WORLD_SIZE=4", "LOCAL_WORLD_SIZE=2", "MASTER_ADDR=node1",
            "MASTER_PORT=29400" } << true
                                  << "torchrun 3/4 1 2 node1:29400";
        QTest::newRow("ours") << QStringList { "RANK=1", "LOCAL_RANK=1", "WORLD_SIZE=2", "LOCAL_WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1",
            "MASTER_PORT=40000", "MS_LAUNCHER=mammoscope-train" }
                              << true << "mammoscope-train 1/2 1 2 127.0.0.1:40000";
        QTest::newRow("torchrun, one rank needs no master")
            << QStringList { "RANK=0", "WORLD_SIZE=1" } << true << "torchrun 0/1 0 1 127.0.0.1:29500";
        QTest::newRow("srun") << QStringList { "SLURM_PROCID=5", "SLURM_LOCALID=1", "SLURM_NTASKS=8", "SLURM_NTASKS_PER_NODE=4",
            "SLURM_JOB_NODELIST=gpu[07-08]", "SLURM_JOB_ID=123456" }
                              << true << "slurm 5/8 1 4 gpu07:18456";
        QTest::newRow("srun, MASTER_ADDR/PORT win")
            << QStringList { "SLURM_PROCID=0", "SLURM_NTASKS=2", "SLURM_JOB_NODELIST=a,b", "MASTER_ADDR=head", "MASTER_PORT=2000" } << true
            << "slurm 0/2 0 2 head:2000";
        QTest::newRow("torchrun wins over SLURM")
            << QStringList { "RANK=0", "WORLD_SIZE=2", "MASTER_ADDR=x", "MASTER_PORT=1", "SLURM_PROCID=1", "SLURM_NTASKS=2" } << true
            << "torchrun 0/2 0 2 x:1";
        QTest::newRow("rank out of range") << QStringList { "RANK=2", "WORLD_SIZE=2", "MASTER_ADDR=x", "MASTER_PORT=1" } << false
                                           << "rank 2 is not below the world size 2";
        QTest::newRow("rank not a number") << QStringList { "RANK=one", "WORLD_SIZE=2" } << false << "RANK='one'";
        QTest::newRow("negative world") << QStringList { "RANK=0", "WORLD_SIZE=-2" } << false << "WORLD_SIZE='-2'";
        QTest::newRow("no rank") << QStringList { "WORLD_SIZE=2" } << false << "RANK is not set";
        QTest::newRow("port out of range") << QStringList { "RANK=0", "WORLD_SIZE=2", "MASTER_ADDR=x", "MASTER_PORT=70000" } << false
                                           << "MASTER_PORT='70000'";
        QTest::newRow("empty master") << QStringList { "RANK=0", "WORLD_SIZE=2", "MASTER_ADDR=", "MASTER_PORT=1" } << false
                                      << "MASTER_ADDR";
        QTest::newRow("srun without node list") << QStringList { "SLURM_PROCID=0", "SLURM_NTASKS=2" } << false << "SLURM_JOB_NODELIST";
        QTest::newRow("local rank beyond local world") << QStringList { "RANK=0", "LOCAL_RANK=3", "WORLD_SIZE=4", "LOCAL_WORLD_SIZE=2",
            "MASTER_ADDR=x", "MASTER_PORT=1" } << false << "local rank 3";
    }
    void launchEnvironment()
    {
        QFETCH(QStringList, env);
        QFETCH(bool, ok);
        QFETCH(QString, expected);
        std::map<std::string, std::string> vars;
        for (const QString& kv : env)
            vars[kv.section('=', 0, 0).toStdString()] = kv.section('=', 1).toStdString();
        LaunchEnv e;
        std::string error;
        const bool got = readLaunchEnv(
            [&](const char* name) -> const char* {
                auto it = vars.find(name);
                return it == vars.end() ? nullptr : it->second.c_str();
            },
            e, error);
        QCOMPARE(got, ok);
        if (ok) {
            const std::string desc = e.launcher + " " + std::to_string(e.rank) + "/" + std::to_string(e.worldSize) + " "
                + std::to_string(e.localRank) + " " + std::to_string(e.localWorldSize) + " " + e.masterAddr + ":"
                + std::to_string(e.masterPort);
            QCOMPARE(QString::fromStdString(desc), expected);
        } else {
            QVERIFY2(error.find(expected.toStdString()) != std::string::npos, error.c_str());
        }
    }

    void slurmHostLists_data()
    {
        QTest::addColumn<QString>("list");
        QTest::addColumn<QString>("first"); // "" = malformed
        QTest::newRow("one host") << "gpu5"
                                  << "gpu5";
        QTest::newRow("hosts") << "cn1,cn2"
                               << "cn1";
        QTest::newRow("range, padded") << "node[001-016]"
                                       << "node001";
        QTest::newRow("list in brackets") << "gpu[12,07-09],cpu1"
                                          << "gpu12";
        QTest::newRow("suffix and two brackets") << "r[2-3]n[01-04]-ib"
                                                 << "r2n01-ib";
        QTest::newRow("unclosed") << "node[01-04"
                                  << "";
        QTest::newRow("not numbers") << "node[a-b]"
                                     << "";
        QTest::newRow("empty bracket") << "node[]"
                                       << "";
        QTest::newRow("stray bracket") << "node]1"
                                       << "";
        QTest::newRow("empty") << ""
                               << "";
        QTest::newRow("leading comma") << ",a"
                                       << "";
    }
    void slurmHostLists()
    {
        QFETCH(QString, list);
        QFETCH(QString, first);
        std::string error;
        const std::string got = firstSlurmHost(list.toStdString(), error);
        QCOMPARE(QString::fromStdString(got), first);
        QCOMPARE(error.empty(), !first.isEmpty());
    }

    // Words quoted for the remote shell come back unchanged through a real POSIX shell (/bin/sh, as sshd's login
    // shell would split them).
    void shellQuotingSurvivesAShell_data()
    {
        QTest::addColumn<QString>("word");
        QTest::newRow("plain") << "--run-dir";
        QTest::newRow("blank") << "/data/my runs/a b";
        QTest::newRow("single quote") << "it's";
        QTest::newRow("metacharacters") << "$(touch /tmp/pwned); `id` | & > < * ? ~ # ! \\ \"";
        QTest::newRow("empty") << "";
        QTest::newRow("unicode") << "mammo-gr\u00fc\u00dfe";
    }
    void shellQuotingSurvivesAShell()
    {
        QFETCH(QString, word);
        QProcess sh;
        sh.start("/bin/sh", { "-c", QString::fromStdString("printf '%s' " + shellQuote(word.toStdString())) });
        QVERIFY(sh.waitForFinished(10000));
        QCOMPARE(sh.exitCode(), 0);
        QCOMPARE(QString::fromUtf8(sh.readAllStandardOutput()), word);
    }

    void sshOptionsAndHosts_data()
    {
        QTest::addColumn<QString>("host");
        QTest::addColumn<QString>("options");
        QTest::addColumn<QString>("expected"); // the ssh argv joined by '|', or the error's words
        QTest::newRow("plain")
            << "gpu07"
            << ""
            << "ssh|-o|BatchMode=yes|-o|ServerAliveInterval=15|-o|ServerAliveCountMax=4|--|gpu07|exec 'mammoscope-train' "
               "'train' '--run-dir' '/r/a b'";
        QTest::newRow("options with quotes")
            << "me@gpu07.example.org"
            << "-p 2222 -i '/keys/my key' -o \"ProxyJump=bastion\""
            << "ssh|-o|BatchMode=yes|-o|ServerAliveInterval=15|-o|ServerAliveCountMax=4|-p|2222|-i|/keys/my "
               "key|-o|ProxyJump=bastion|--|me@gpu07.example.org|exec 'mammoscope-train' 'train' "
               "'--run-dir' '/r/a b'";
        QTest::newRow("ipv6") << "[::1]"
                              << ""
                              << "|--|[::1]|";
        QTest::newRow("host as option") << "-oProxyCommand=sh"
                                        << ""
                                        << "starts with '-'";
        QTest::newRow("host with blank") << "gpu 07"
                                         << ""
                                         << "cannot";
        QTest::newRow("host with semicolon") << "gpu;id"
                                             << ""
                                             << "cannot";
        QTest::newRow("two @") << "a@b@c"
                               << ""
                               << "not [user@]host";
        QTest::newRow("no host") << ""
                                 << ""
                                 << "no SSH host";
        QTest::newRow("unclosed quote") << "gpu07"
                                        << "-i 'key"
                                        << "unclosed single quote";
        QTest::newRow("dangling backslash") << "gpu07"
                                            << "-i key\\"
                                            << "lone backslash";
        QTest::newRow("escaped line break") << "gpu07"
                                            << "-i key\\\nProxyCommand=x"
                                            << "line break";
        QTest::newRow("end of options") << "gpu07"
                                        << "-- evil"
                                        << "'--'";
    }
    void sshOptionsAndHosts()
    {
        QFETCH(QString, host);
        QFETCH(QString, options);
        QFETCH(QString, expected);
        SshTarget t;
        t.host = host.toStdString();
        t.options = options.toStdString();
        std::string error;
        const auto cmd = sshCommand(t, { "train", "--run-dir", "/r/a b" }, error);
        QCOMPARE(cmd.empty(), !error.empty());
        if (cmd.empty()) {
            QVERIFY2(error.find(expected.toStdString()) != std::string::npos, error.c_str());
            return;
        }
        QString joined;
        for (const auto& w : cmd)
            joined += (joined.isEmpty() ? "" : "|") + QString::fromStdString(w);
        QVERIFY2(joined.contains(expected), qPrintable(joined));
    }

    // The job script runs: bash reads it, and srun (a stand-in printing its arguments) gets the engine and every
    // argument as they were, blanks and quotes included.
    void slurmScriptRuns()
    {
        SlurmJob job;
        job.name = "mammoscope-tiny";
        job.partition = "gpu";
        job.nodes = 2;
        job.tasksPerNode = 4;
        job.gpusPerNode = 4;
        job.cpusPerTask = 8;
        job.timeLimit = "1-12:00:00";
        job.engine = "/opt/mammo scope/bin/mammoscope-train";
        const std::vector<std::string> args { "train", "--run-dir", "/shared/runs/it's a run", "--data", "$HOME/x;y" };
        std::string error;
        const std::string script = sbatchScript(job, args, error);
        QVERIFY2(error.empty(), error.c_str());
        for (const char* line :
            { "#SBATCH --job-name=mammoscope-tiny\n", "#SBATCH --partition=gpu\n", "#SBATCH --nodes=2\n", "#SBATCH --ntasks-per-node=4\n",
                "#SBATCH --gpus-per-node=4\n", "#SBATCH --cpus-per-task=8\n", "#SBATCH --time=1-12:00:00\n" })
            QVERIFY2(script.find(line) != std::string::npos, line);
        QTemporaryDir d;
        QFile fake(d.filePath("srun"));
        QVERIFY(fake.open(QIODevice::WriteOnly));
        fake.write("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
        fake.close();
        fake.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        QProcess bash;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("PATH", d.path() + ":" + env.value("PATH"));
        bash.setProcessEnvironment(env);
        bash.start("/bin/bash", { "-c", QString::fromStdString(script) });
        QVERIFY(bash.waitForFinished(10000));
        QCOMPARE(bash.exitCode(), 0);
        QStringList expected { "--kill-on-bad-exit=1", QString::fromStdString(job.engine) };
        for (const auto& a : args)
            expected << QString::fromStdString(a);
        QCOMPARE(QString::fromUtf8(bash.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts), expected);
    }

    void slurmJobsRefused_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("words");
        QTest::newRow("name with blank") << "name"
                                         << "my run"
                                         << "job name";
        QTest::newRow("name with newline") << "name"
                                           << "a\n#SBATCH --uid=0"
                                           << "job name";
        QTest::newRow("partition injection") << "partition"
                                             << "gpu\nrm -rf ~"
                                             << "partition";
        QTest::newRow("time words") << "time"
                                    << "tomorrow"
                                    << "time limit";
        QTest::newRow("time too many parts") << "time"
                                             << "1:2:3:4"
                                             << "time limit";
        QTest::newRow("no nodes") << "nodes"
                                  << "0"
                                  << "nodes";
        QTest::newRow("fine: minutes") << "time"
                                       << "90"
                                       << "";
        QTest::newRow("fine: D-HH:MM") << "time"
                                       << "2-06:30"
                                       << "";
    }
    void slurmJobsRefused()
    {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QString, words);
        SlurmJob job;
        if (field == "name")
            job.name = value.toStdString();
        else if (field == "partition")
            job.partition = value.toStdString();
        else if (field == "time")
            job.timeLimit = value.toStdString();
        else if (field == "nodes")
            job.nodes = value.toInt();
        const std::string problem = slurmJobProblem(job);
        std::string error;
        const std::string script = sbatchScript(job, { "train" }, error);
        QCOMPARE(script.empty(), !problem.empty());
        if (words.isEmpty())
            QVERIFY2(problem.empty(), problem.c_str());
        else
            QVERIFY2(problem.find(words.toStdString()) != std::string::npos, problem.c_str());
    }

    // What sbatch --parsable, squeue -o '%T|%r' and scontrol show job -o print (Slurm 22.05), and what they must not
    // be mistaken for.
    void slurmAnswers()
    {
        long long id = 0;
        std::string error;
        QVERIFY(parseSbatchJobId("4242\n", id, error));
        QCOMPARE(id, 4242LL);
        QVERIFY(parseSbatchJobId("17;cluster-a\n", id, error));
        QCOMPARE(id, 17LL);
        QVERIFY(!parseSbatchJobId("sbatch: error: Batch job submission failed: Invalid partition name specified", id, error));
        QVERIFY(error.find("Invalid partition") != std::string::npos);
        QVERIFY(!parseSbatchJobId("", id, error));
        QVERIFY(!parseSbatchJobId("99999999999999999999999", id, error));

        SlurmJobState st;
        QVERIFY(parseSqueueLine("PENDING|Resources\n", st));
        QCOMPARE(st.state, std::string("PENDING"));
        QCOMPARE(st.reason, std::string("Resources"));
        QVERIFY(!st.ended());
        QVERIFY(parseSqueueLine("RUNNING|None", st));
        QVERIFY(st.reason.empty());
        QVERIFY(!parseSqueueLine("", st)); // no longer queued
        QVERIFY(!parseSqueueLine("slurm_load_jobs error: Invalid job id specified", st));
        QVERIFY(!parseSqueueLine("RUNNING|None\nPENDING|Priority", st));

        const char* line = "JobId=7 JobName=mammoscope UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=1 Nice=0 Account=(null) "
                           "QOS=(null) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 "
                           "Reboot=0 ExitCode=5:0 RunTime=00:00:03";
        SlurmJobState ended;
        QVERIFY(parseScontrolJob(line, ended));
        QCOMPARE(ended.state, std::string("FAILED"));
        QCOMPARE(ended.reason, std::string("NonZeroExitCode"));
        QCOMPARE(ended.exitCode, 5);
        QVERIFY(ended.ended());
        SlurmJobState none;
        QVERIFY(!parseScontrolJob("slurm_load_jobs error: Invalid job id specified", none));
        QVERIFY(!parseScontrolJob("JobState=running", none)); // not SLURM's spelling
    }

    // What the engine writes through RunFolder, the panel reads through RunReader, field for field.
    void writerAndReaderAgree()
    {
        QTemporaryDir d;
        const std::string dir = d.path().toStdString();
        RunFolder w(dir);
        w.echoStdout = false;
        std::string error;
        QVERIFY2(w.open(false, error), error.c_str());
        RunConfig rc;
        rc.train = everyFieldChanged<TrainConfig>();
        rc.train.runDir.clear(); // the folder's own path is not written into it
        rc.train.nprocPerNode = TrainConfig().nprocPerNode; // nor how the ranks were started (world_size is: below)
        rc.worldSize = 3;
        rc.globalBatch = 3 * rc.train.batch;
        rc.launcher = "torchrun";
        rc.classes = { "normal", "benign", "malignant" };
        rc.sampleWidth = 96;
        rc.sampleHeight = 80;
        QVERIFY(w.writeConfig(rc));
        Event started;
        started.name = event::kStarted;
        started.extra.set("steps_per_epoch", 12);
        QVERIFY(w.append(started));
        StepPoint s { 7, 0.5, 1.25, 0.1 + 0.2, 123.5 };
        QVERIFY(w.append(s));
        EpochPoint e;
        e.step = 12;
        e.epoch = 1;
        e.trainLoss = 0.75;
        e.trainAccuracy = 0.5;
        e.valAuc = 0.625;
        e.deviceMemory = 1LL << 33;
        QVERIFY(w.append(e));
        EpochPoint fold;
        fold.phase = "fold";
        fold.fold = 3;
        fold.epoch = 2;
        fold.trainLoss = 0.5;
        fold.seconds = 1.5;
        QVERIFY(w.append(fold));
        QVERIFY(w.status(state::kRunning, 1, 12, "epoch 2 of 3"));
        QCOMPARE(w.error(), std::string());

        RunReader r(dir);
        QCOMPARE(r.poll(), 4);
        QCOMPARE(r.malformedLines(), 0);
        QVERIFY(r.hasRunConfig());
        std::string which;
        QVERIFY2(equal(rc.train, r.runConfig().train, which), which.c_str());
        QCOMPARE(r.runConfig().classes.size(), size_t(3));
        QCOMPARE(r.runConfig().sampleHeight, 80);
        QCOMPARE(r.runConfig().worldSize, 3);
        QCOMPARE(r.runConfig().globalBatch, 3 * rc.train.batch);
        QCOMPARE(r.runConfig().launcher, std::string("torchrun"));
        QCOMPARE(r.steps().size(), size_t(1));
        QCOMPARE(r.steps()[0].step, 7L);
        QCOMPARE(r.steps()[0].lr, 0.1 + 0.2); // exactly: numbers are written to read back bit for bit
        QCOMPARE(r.steps()[0].imagesPerS, 123.5);
        QCOMPARE(r.epochs().size(), size_t(2));
        QCOMPARE(r.epochs()[0].trainAccuracy, 0.5);
        QCOMPARE(r.epochs()[0].valAuc, 0.625);
        QCOMPARE(r.epochs()[0].valLoss, -1.0); // absent stays absent
        QCOMPARE(r.epochs()[0].deviceMemory, 1LL << 33);
        QCOMPARE(r.epochs()[1].phase, std::string("fold"));
        QCOMPARE(r.epochs()[1].fold, 3);
        QCOMPARE(r.epochs()[1].seconds, 1.5);
        QCOMPARE(r.epochs()[1].trainAccuracy, -1.0);
        QCOMPARE(r.events().size(), size_t(1));
        QCOMPARE(r.events()[0].name, std::string(event::kStarted));
        QCOMPARE(r.events()[0].extra["steps_per_epoch"].integer(), 12LL);
        QCOMPARE(r.state(), std::string(state::kRunning));
    }

    // A metrics file that cannot take more (here: the full device) is reported, not ignored.
    void writeErrorsAreReported()
    {
        if (!QFileInfo::exists(QStringLiteral("/dev/full")))
            QSKIP("no /dev/full on this system");
        QTemporaryDir d;
        const std::string dir = d.path().toStdString();
        std::filesystem::create_directories(dir + "/checkpoints");
        std::filesystem::create_symlink("/dev/full", dir + "/metrics.jsonl");
        RunFolder w(dir);
        w.echoStdout = false;
        std::string error;
        QVERIFY2(w.open(true, error), error.c_str());
        StepPoint s;
        QVERIFY(!w.append(s));
        QVERIFY2(w.error().find("metrics.jsonl") != std::string::npos, w.error().c_str());
    }
};

QTEST_GUILESS_MAIN(TestRunConfig)
#include "test_runconfig.moc"

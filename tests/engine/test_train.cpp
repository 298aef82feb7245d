// SPDX-License-Identifier: GPL-3.0-or-later
// The engine as the GUI and a user drive it: mammoscope-train run as a process on a tiny synthetic set.
#include <QtTest>

#include <csignal>
#include <cstring>

namespace
{

const QString kTrain = QStringLiteral(MS_TRAIN_PATH);
const QStringList kTiny = { "train", "--data", "synth:20:3:192x320", "--task", "patches", "--size", "40", "--arch", "compact", "--batch",
    "16", "--threads", "2", "--log-every", "2", "--lr", "0.003" };

struct Run {
    int code = -1;
    QByteArray out, err;
};

Run run(const QStringList& args, int timeoutMs = 240000)
{
    QProcess p;
    p.start(kTrain, args);
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.code = p.exitCode();
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QList<QJsonObject> jsonLines(const QByteArray& text)
{
    QList<QJsonObject> out;
    for (const QByteArray& line : text.split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        auto doc = QJsonDocument::fromJson(line);
        if (doc.isObject())
            out << doc.object();
    }
    return out;
}

QList<QJsonObject> readMetrics(const QString& run)
{
    QFile f(run + "/metrics.jsonl");
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return jsonLines(f.readAll());
}

// The tensors of a safetensors file by name, as raw bytes (the header is 8 bytes of length, then JSON with offsets).
QMap<QString, QByteArray> safetensorBytes(const QString& file)
{
    QFile f(file);
    QMap<QString, QByteArray> out;
    if (!f.open(QIODevice::ReadOnly))
        return out;
    const QByteArray all = f.readAll();
    if (all.size() < 8)
        return out;
    quint64 n = 0;
    std::memcpy(&n, all.constData(), 8);
    const QJsonObject h = QJsonDocument::fromJson(all.mid(8, qsizetype(n))).object();
    for (auto it = h.begin(); it != h.end(); ++it) {
        const QJsonArray off = it.value().toObject()["data_offsets"].toArray();
        if (off.size() == 2)
            out[it.key()] = all.mid(qsizetype(8 + n + quint64(off[0].toDouble())), qsizetype(off[1].toDouble() - off[0].toDouble()));
    }
    return out;
}

// The 20 mini-MIAS images of realdata/mias as lesion-map shards small enough for CPU tests (64x64 at 3.2 mm).
bool prepareMiasShards(const QString& out)
{
    QProcess prep;
    prep.start(QStringLiteral(MS_CLI_PATH),
        { "prepare", QStringLiteral(MS_REALDATA_DIR) + "/mias", "--task", "lesion-map", "--out", out, "--pixel-mm", "3.2", "--canvas",
            "64x64", "--quiet" });
    return prep.waitForFinished(120000) && prep.exitStatus() == QProcess::NormalExit && prep.exitCode() == 0;
}

QJsonObject readJsonFile(const QString& file)
{
    QFile f(file);
    return f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll()).object() : QJsonObject();
}

QJsonObject readStatus(const QString& run)
{
    QFile f(run + "/status.json");
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

} // namespace

class TestTrain : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;

private slots:
    // crossval on real mammograms (the 20 mini-MIAS images, tiny U-Net, CPU): folds keep each woman's two breasts
    // together, every image is held out exactly once, the figures come with intervals, and the final model's card
    // carries them.
    void crossvalKeepsWomenTogether()
    {
        QTemporaryDir d;
        const QString shards = d.path() + "/lm", runDir = d.path() + "/cv", model = d.path() + "/model";
        QVERIFY(prepareMiasShards(shards));
        Run r = run({ "crossval", "--data", shards, "--run-dir", runDir, "--folds", "3", "--epochs", "2", "--batch", "4", "--levels", "3",
            "--width", "8", "--threads", "2", "--bootstrap", "50", "--final-model", model, "--final-name", "test map" });
        QVERIFY2(r.code == 0, r.err.constData());
        QFile f(runDir + "/crossval.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject cv = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonObject held = cv["held_out"].toObject();
        QCOMPARE(held["images"].toInt(), 20);
        QCOMPARE(held["lesions_with_coordinates"].toInt(), 19);
        // a finished cross-validation says so as a training run does (it said "done", and the panel offered to resume it)
        QCOMPARE(readStatus(runDir)["state"].toString(), QStringLiteral("finished"));
        QCOMPARE(readJsonFile(runDir + "/config.json")["command"].toString(), QStringLiteral("crossval"));
        QCOMPARE(readJsonFile(runDir + "/config.json")["crossval"].toObject()["folds"].toInt(), 3);
        QCOMPARE(held["mass_lesions"].toInt(), 10); // CIRC x6, MISC x2, SPIC x2 with coordinates
        // women: mdbNNN -> (NNN + 1) / 2; each in exactly one fold
        QSet<QString> seen;
        int heldOutImages = 0;
        for (const auto& v : cv["folds"].toArray()) {
            const QJsonObject fold = v.toObject();
            heldOutImages += fold["images_held_out"].toInt();
            QCOMPARE(fold["images_held_out"].toInt() + fold["images_trained"].toInt(), 20);
            for (const auto& w : fold["held_out_women"].toArray()) {
                QVERIFY2(!seen.contains(w.toString()), qPrintable(w.toString()));
                seen.insert(w.toString());
            }
        }
        QCOMPARE(heldOutImages, 20);
        QCOMPARE(seen.size(), 18); // 20 images, two pairs
        const QJsonObject froc = held["froc_masses"].toObject()["1"].toObject();
        QCOMPARE(froc["ci95"].toArray().size(), 2);
        QVERIFY(held["auc_abnormal_vs_normal"].toObject().contains("value"));
        QVERIFY(cv["train"].toObject().contains("froc_masses"));
        QVERIFY(cv["operating_point"].toObject().contains("threshold_logit"));
        // the metrics stream has one epoch line per fold and epoch, and one held-out line per fold
        int epochs = 0, evals = 0;
        for (const auto& l : readMetrics(runDir)) {
            epochs += l["type"].toString() == "epoch" && l["phase"].toString() == "fold";
            evals += l["type"].toString() == "eval";
        }
        QCOMPARE(epochs, 3 * 2);
        QCOMPARE(evals, 3);
        QFile card(model + "/card.json");
        QVERIFY(card.open(QIODevice::ReadOnly));
        const QJsonObject c = QJsonDocument::fromJson(card.readAll()).object();
        QCOMPARE(c["task"].toString(), QString("lesion-map"));
        QCOMPARE(c["name"].toString(), QString("test map"));
        QVERIFY(QFile::exists(model + "/model.safetensors"));

        Run many = run({ "crossval", "--data", shards, "--run-dir", d.path() + "/cv2", "--folds", "19" });
        QCOMPARE(many.code, 5);
        QVERIFY2(many.err.contains("18 women cannot make 19 folds"), many.err.constData());
        Run patches = run({ "crossval", "--data", d.path() + "/nothing", "--run-dir", d.path() + "/cv3" });
        QCOMPARE(patches.code, 5);
    }

    // Transfer on real images: a network pretrained elsewhere (here: the final model of a first run, --folds 0), then
    // feature extraction keeps its contracting path exactly as it was while the rest learns; --epochs 0 scores the
    // pretrained weights on every fold as they are (sim-to-real); options that need --init say so.
    void crossvalTransfer()
    {
        QTemporaryDir d;
        const QString shards = d.path() + "/lm", pre = d.path() + "/pre", fe = d.path() + "/fe";
        QVERIFY(prepareMiasShards(shards));
        const QStringList tiny = { "--epochs", "2", "--batch", "4", "--levels", "3", "--width", "8", "--threads", "2", "--bootstrap", "20",
            "--no-other-breast" };
        Run p = run(
            QStringList { "crossval", "--data", shards, "--run-dir", d.path() + "/cv-pre", "--folds", "0", "--final-model", pre } + tiny);
        QVERIFY2(p.code == 0, p.err.constData());
        QVERIFY(!readJsonFile(d.path() + "/cv-pre/crossval.json").contains("held_out")); // no folds: nothing held out
        Run f = run(QStringList { "crossval", "--data", shards, "--run-dir", d.path() + "/cv-fe", "--folds", "3", "--init",
                        pre + "/model.safetensors", "--freeze-encoder", "--final-model", fe }
            + tiny);
        QVERIFY2(f.code == 0, f.err.constData());
        const auto a = safetensorBytes(pre + "/model.safetensors"), b = safetensorBytes(fe + "/model.safetensors");
        QVERIFY(a.size() > 20);
        QCOMPARE(a.keys(), b.keys());
        int frozen = 0, changed = 0;
        for (const auto& k : a.keys()) {
            if (k.startsWith("down.")) {
                QVERIFY2(a[k] == b[k], qPrintable(k + " changed under --freeze-encoder"));
                ++frozen;
            } else if (a[k] != b[k])
                ++changed;
        }
        QVERIFY(frozen > 0);
        QVERIFY2(changed > 0, "the decoder did not learn");
        const QJsonObject cfg = readJsonFile(d.path() + "/cv-fe/crossval.json")["command"].toObject();
        QCOMPARE(cfg["freeze_encoder"].toBool(), true);
        QVERIFY(cfg["init"].toString().endsWith("model.safetensors"));
        // --epochs 0: the pretrained weights themselves, on held-out folds
        Run z = run({ "crossval", "--data", shards, "--run-dir", d.path() + "/cv-zero", "--folds", "3", "--init",
            pre + "/model.safetensors", "--epochs", "0", "--levels", "3", "--width", "8", "--no-other-breast", "--bootstrap", "20" });
        QVERIFY2(z.code == 0, z.err.constData());
        QCOMPARE(readJsonFile(d.path() + "/cv-zero/crossval.json")["held_out"].toObject()["images"].toInt(), 20);
        // what does not fit
        QCOMPARE(run({ "crossval", "--data", shards, "--run-dir", d.path() + "/x1", "--freeze-encoder" }).code, 2);
        QCOMPARE(run({ "crossval", "--data", shards, "--run-dir", d.path() + "/x2", "--epochs", "0" }).code, 2);
        QCOMPARE(run({ "crossval", "--data", shards, "--run-dir", d.path() + "/x3", "--folds", "0" }).code, 2);
        Run wrong = run(QStringList { "crossval", "--data", shards, "--run-dir", d.path() + "/x4", "--init", pre + "/model.safetensors",
            "--folds", "2", "--epochs", "1", "--levels", "4", "--width", "8", "--no-other-breast" });
        QVERIFY(wrong.code != 0);
        QVERIFY2(wrong.err.contains("model.safetensors"), wrong.err.constData());
    }

    // Ensembles: runs of two seeds that share their folds (--fold-seed) keep their held-out maps; crossval-combine
    // averages them and scores the average as crossval scores one run. The ensemble of a run with itself has exactly the
    // run's figures; the joined final models load in the app's loader and paint maps; runs with other folds, too few
    // members or no maps are refused. --extra-data trains on more images without holding them out or scoring them.
    void crossvalEnsemble()
    {
        QTemporaryDir d;
        const QString shards = d.path() + "/lm";
        QVERIFY(prepareMiasShards(shards));
        const QStringList tiny = { "--data", shards, "--folds", "3", "--epochs", "2", "--batch", "4", "--levels", "3", "--width", "8",
            "--threads", "2", "--bootstrap", "50", "--no-other-breast", "--save-maps" };
        Run a = run(QStringList { "crossval", "--run-dir", d.path() + "/a", "--seed", "1", "--final-model", d.path() + "/ma" } + tiny);
        QVERIFY2(a.code == 0, a.err.constData());
        Run b = run(
            QStringList { "crossval", "--run-dir", d.path() + "/b", "--seed", "2", "--fold-seed", "1", "--final-model", d.path() + "/mb" }
            + tiny);
        QVERIFY2(b.code == 0, b.err.constData());
        QVERIFY(QFileInfo(d.path() + "/a/heldout-maps.f32").size() == 20 * 64 * 64 * 4);
        const QJsonObject ca = readJsonFile(d.path() + "/a/crossval.json"), cb = readJsonFile(d.path() + "/b/crossval.json");
        QCOMPARE(ca["folds"].toArray()[0].toObject()["held_out_women"], cb["folds"].toArray()[0].toObject()["held_out_women"]);

        // a run with itself: the same maps, so exactly the same figures
        Run self = run({ "crossval-combine", "--data", shards, "--members", d.path() + "/a," + d.path() + "/a", "--run-dir",
            d.path() + "/aa", "--bootstrap", "50", "--final-model", d.path() + "/maa" });
        QVERIFY2(self.code == 0, self.err.constData());
        const QJsonObject caa = readJsonFile(d.path() + "/aa/crossval.json");
        for (const char* k : { "froc_masses", "froc_all" })
            for (const char* fp : { "0.25", "1", "4" })
                QCOMPARE(caa["held_out"].toObject()[k].toObject()[fp].toObject()["value"].toDouble(),
                    ca["held_out"].toObject()[k].toObject()[fp].toObject()["value"].toDouble());
        for (const char* k : { "pointing_game", "auc_abnormal_vs_normal", "auc_malignant_vs_rest" })
            QCOMPARE(
                caa["held_out"].toObject()[k].toObject()["value"].toDouble(), ca["held_out"].toObject()[k].toObject()["value"].toDouble());
        QCOMPARE(caa["operating_point"].toObject()["threshold_logit"].toDouble(),
            ca["operating_point"].toObject()["threshold_logit"].toDouble());

        // two seeds: an ensemble model of two networks, with the ensemble's figures in its card
        Run two = run({ "crossval-combine", "--data", shards, "--members", d.path() + "/a," + d.path() + "/b", "--run-dir",
            d.path() + "/ab", "--bootstrap", "50", "--final-model", d.path() + "/mab", "--final-name", "pair" });
        QVERIFY2(two.code == 0, two.err.constData());
        QVERIFY2(two.out.contains("ensemble of 2: held-out mass FROC at 1 FP"), two.out.constData());
        const QJsonObject cab = readJsonFile(d.path() + "/ab/crossval.json");
        QCOMPARE(cab["held_out"].toObject()["images"].toInt(), 20);
        QCOMPARE(cab["members"].toArray().size(), 2);
        const QJsonObject card = readJsonFile(d.path() + "/mab/card.json");
        QCOMPARE(card["name"].toString(), QStringLiteral("pair"));
        QCOMPARE(card["training"].toObject()["members"].toInt(), 2);
        QCOMPARE(card["metrics"].toObject()["crossval"].toObject(), cab["held_out"].toObject());
        const auto weights = safetensorBytes(d.path() + "/mab/model.safetensors");
        QVERIFY(weights.contains("0.out.weight") && weights.contains("1.out.weight"));
        QCOMPARE(weights["0.out.weight"], safetensorBytes(d.path() + "/ma/model.safetensors")["out.weight"]);
        QCOMPARE(weights["1.out.weight"], safetensorBytes(d.path() + "/mb/model.safetensors")["out.weight"]);

        // the app's loader: the ensemble paints maps; the ensemble of a model with itself paints the model's own
        auto infer = [&](const QString& model, const QString& out) {
            QProcess p;
            p.start(QStringLiteral(MS_CLI_PATH),
                { "infer", QStringLiteral(MS_REALDATA_DIR) + "/mias", "--model", model, "--out", out, "--limit", "3" });
            p.waitForFinished(120000);
            QFile f(out + "/scores.csv");
            return p.exitCode() == 0 && f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("failed: " + p.readAllStandardError());
        };
        const QByteArray single = infer(d.path() + "/ma", d.path() + "/i1"), doubled = infer(d.path() + "/maa", d.path() + "/i2");
        QVERIFY2(!single.startsWith("failed"), single.constData());
        auto scoresOf = [](const QByteArray& csv) {
            QStringList s;
            for (const auto& line : csv.split('\n').mid(1))
                if (!line.isEmpty())
                    s << QString(line.split(',').value(6));
            return s;
        };
        QCOMPARE(scoresOf(doubled), scoresOf(single));
        QCOMPARE(scoresOf(single).size(), 3);
        const QByteArray pair = infer(d.path() + "/mab", d.path() + "/i3");
        QVERIFY2(!pair.startsWith("failed"), pair.constData());
        QCOMPARE(scoresOf(pair).size(), 3);

        // refused: maps made on other shards (the same images prepared again at another pixel size)
        QProcess prepOther;
        prepOther.start(QStringLiteral(MS_CLI_PATH),
            { "prepare", QStringLiteral(MS_REALDATA_DIR) + "/mias", "--task", "lesion-map", "--out", d.path() + "/lm-other", "--pixel-mm",
                "3.0", "--canvas", "64x64", "--quiet" });
        QVERIFY(prepOther.waitForFinished(120000));
        QCOMPARE(prepOther.exitCode(), 0);
        Run otherShards = run({ "crossval-combine", "--data", d.path() + "/lm-other", "--members", d.path() + "/a," + d.path() + "/b",
            "--run-dir", d.path() + "/x" });
        QCOMPARE(otherShards.code, 5);
        QVERIFY2(otherShards.err.contains("another source"), otherShards.err.constData());
        // refused: other folds, one member, a run without maps
        Run c = run(QStringList { "crossval", "--run-dir", d.path() + "/c", "--seed", "3" } + tiny);
        QVERIFY2(c.code == 0, c.err.constData());
        Run other
            = run({ "crossval-combine", "--data", shards, "--members", d.path() + "/a," + d.path() + "/c", "--run-dir", d.path() + "/x" });
        QCOMPARE(other.code, 5);
        QVERIFY2(other.err.contains("other folds"), other.err.constData());
        QCOMPARE(run({ "crossval-combine", "--data", shards, "--members", d.path() + "/a", "--run-dir", d.path() + "/x" }).code, 2);
        Run noMaps = run(
            { "crossval-combine", "--data", shards, "--members", d.path() + "/a," + d.path() + "/nothing", "--run-dir", d.path() + "/x" });
        QCOMPARE(noMaps.code, 5);
        QVERIFY2(noMaps.err.contains("--save-maps"), noMaps.err.constData());

        // extra training data (CDD-CESM, another dataset): trained on in every fold, never held out or scored
        const QString cdd = d.path() + "/cdd";
        QProcess prepCdd;
        prepCdd.start(QStringLiteral(MS_CLI_PATH),
            { "prepare", QStringLiteral(MS_REALDATA_DIR) + "/cdd-cesm", "--task", "lesion-map", "--out", cdd, "--pixel-mm", "3.2",
                "--canvas", "64x64", "--source-mm", "0.4", "--quiet" });
        QVERIFY(prepCdd.waitForFinished(120000));
        QCOMPARE(prepCdd.exitCode(), 0);
        const int cddImages = readJsonFile(cdd + "/dataset.json")["counts"].toObject()["all"].toInt();
        QVERIFY2(cddImages > 100, qPrintable(QString::number(cddImages)));
        Run e = run(QStringList { "crossval", "--run-dir", d.path() + "/e", "--extra-data", cdd } + tiny);
        QVERIFY2(e.code == 0, e.err.constData());
        const QJsonObject ce = readJsonFile(d.path() + "/e/crossval.json");
        QCOMPARE(ce["held_out"].toObject()["images"].toInt(), 20);
        QCOMPARE(ce["extra_images"].toInt(), cddImages);
        for (const auto& v : ce["folds"].toArray()) {
            QCOMPARE(v.toObject()["extra_images_trained"].toInt(), cddImages);
            QCOMPARE(v.toObject()["images_held_out"].toInt() + v.toObject()["images_trained"].toInt(), 20);
        }
        // refused: the cross-validated shards themselves (their images would be trained on while held out), a copy of
        // them under another name, no shards
        Run same = run(QStringList { "crossval", "--run-dir", d.path() + "/e1", "--extra-data", shards } + tiny);
        QCOMPARE(same.code, 5);
        QVERIFY2(same.err.contains("trained on while held out"), same.err.constData());
        QDir().mkpath(d.path() + "/mias-copy");
        for (const QString& f : QDir(QStringLiteral(MS_REALDATA_DIR) + "/mias").entryList(QDir::Files))
            QVERIFY(QFile::copy(QStringLiteral(MS_REALDATA_DIR) + "/mias/" + f, d.path() + "/mias-copy/" + f));
        QProcess prepCopy;
        prepCopy.start(QStringLiteral(MS_CLI_PATH),
            { "prepare", d.path() + "/mias-copy", "--task", "lesion-map", "--out", d.path() + "/lm-copy", "--pixel-mm", "3.2", "--canvas",
                "64x64", "--quiet" });
        QVERIFY(prepCopy.waitForFinished(120000));
        QCOMPARE(prepCopy.exitCode(), 0);
        Run copy = run(QStringList { "crossval", "--run-dir", d.path() + "/e3", "--extra-data", d.path() + "/lm-copy" } + tiny);
        QCOMPARE(copy.code, 5);
        QVERIFY2(copy.err.contains("is the same image as"), copy.err.constData());
        Run badExtra = run(QStringList { "crossval", "--run-dir", d.path() + "/e2", "--extra-data", d.path() + "/nothing" } + tiny);
        QCOMPARE(badExtra.code, 5);
    }

    // Tissue segmentation (the DDSM tissue label maps): prepare keeps the source's test rows apart, crossval scores Dice
    // per class on held-out folds and the final model on the test rows, and writes a tissue model card.
    void crossvalTissue()
    {
        const QString src = QStringLiteral(MS_REALDATA_DIR) + "/ddsm-tissue";
        if (!QFileInfo::exists(src + "/images"))
            QSKIP("realdata/ddsm-tissue is not here");
        QTemporaryDir d;
        const QString shards = d.path() + "/t", model = d.path() + "/tissue";
        QProcess prep;
        prep.start(QStringLiteral(MS_CLI_PATH),
            { "prepare", src + "/images", "--task", "tissue", "--labels", src + "/labels", "--split-csv", src + "/split.csv", "--canvas",
                "64", "--out", shards, "--quiet" });
        QVERIFY(prep.waitForFinished(120000));
        QVERIFY2(prep.exitCode() == 0, prep.readAllStandardError().constData());
        const QJsonObject summary = QJsonDocument::fromJson(prep.readAllStandardOutput()).object();
        QCOMPARE(summary["train"].toInt(), 60);
        QCOMPARE(summary["test"].toInt(), 4);
        Run r = run({ "crossval", "--data", shards, "--run-dir", d.path() + "/cv", "--folds", "3", "--epochs", "2", "--batch", "8",
            "--levels", "3", "--width", "8", "--threads", "2", "--bootstrap", "20", "--final-model", model });
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject cv = readJsonFile(d.path() + "/cv/crossval.json");
        QCOMPARE(cv["task"].toString(), QString("tissue"));
        const QJsonObject held = cv["held_out"].toObject();
        QCOMPARE(held["images"].toInt(), 60);
        for (const char* k : { "dice_breast", "dice_background", "dice_fatty", "dice_fibroglandular", "dice_pectoral" }) {
            const double v = held[k].toObject()["value"].toDouble(-1);
            QVERIFY2(v >= 0 && v <= 1, k);
            QCOMPARE(held[k].toObject()["ci95"].toArray().size(), 2);
        }
        QVERIFY(held.contains("dense_fraction_correlation"));
        int sum = 0;
        for (const auto& f : cv["folds"].toArray())
            sum += f.toObject()["images"].toInt();
        QCOMPARE(sum, 60);
        QCOMPARE(cv["test"].toObject()["images"].toInt(), 4);
        const QJsonObject card = readJsonFile(model + "/card.json");
        QCOMPARE(card["task"].toString(), QString("tissue"));
        QCOMPARE(card["classes"].toArray().size(), 4);
        QVERIFY(card["metrics"].toObject().contains("test"));
        // tissue networks start from scratch
        QCOMPARE(run({ "crossval", "--data", shards, "--run-dir", d.path() + "/cv2", "--init", model + "/model.safetensors" }).code, 2);
        // the ensemble options are for lesion maps: on tissue shards they are refused, not ignored
        Run maps = run({ "crossval", "--data", shards, "--run-dir", d.path() + "/cv3", "--save-maps" });
        QCOMPARE(maps.code, 2);
        QVERIFY2(maps.err.contains("lesion-map shards"), maps.err.constData());
    }

    void trainsAndWritesTheRunFolder()
    {
        const QString dir = m_tmp.path() + "/run1";
        Run r = run(kTiny + QStringList { "--run-dir", dir, "--epochs", "2" });
        QVERIFY2(r.code == 0, r.err.constData());
        auto lines = readMetrics(dir);
        QVERIFY(!lines.isEmpty());
        QCOMPARE(lines.first()["type"].toString(), QStringLiteral("event"));
        QCOMPARE(lines.first()["event"].toString(), QStringLiteral("started"));
        QCOMPARE(lines.last()["event"].toString(), QStringLiteral("finished"));
        int steps = 0, epochs = 0;
        long lastStep = 0;
        for (const auto& l : lines) {
            QCOMPARE(l["v"].toInt(), 1);
            if (l["type"] == QLatin1String("step")) {
                ++steps;
                QVERIFY(l["step"].toInteger() > lastStep);
                lastStep = long(l["step"].toInteger());
                QVERIFY(l["loss"].toDouble() > 0);
                QVERIFY(l["images_per_s"].toDouble() > 0);
                QVERIFY(l.contains("lr"));
            }
            if (l["type"] == QLatin1String("epoch")) {
                ++epochs;
                QVERIFY(l.contains("train_loss") && l.contains("train_accuracy"));
                QVERIFY(l.contains("val_accuracy") && l.contains("val_auc") && l.contains("val"));
                QCOMPARE(l["val"].toObject()["confusion"].toArray().size(), 5);
                QVERIFY(l.contains("device_memory"));
            }
        }
        QVERIFY(steps >= 2);
        QCOMPARE(epochs, 2);
        // stdout carries the same lines.
        QCOMPARE(jsonLines(r.out).size(), lines.size());
        QCOMPARE(readStatus(dir)["state"].toString(), QStringLiteral("finished"));
        for (const char* f : { "config.json", "log.txt", "checkpoints/last/model.safetensors", "checkpoints/last/optimizer.pt",
                 "checkpoints/last/state.json", "checkpoints/best/card.json" })
            QVERIFY2(QFileInfo::exists(dir + "/" + f), f);
        QFile card(dir + "/checkpoints/best/card.json");
        QVERIFY(card.open(QIODevice::ReadOnly));
        auto c = QJsonDocument::fromJson(card.readAll()).object();
        QCOMPARE(c["architecture"].toString(), QStringLiteral("compact"));
        QCOMPARE(c["classes"].toArray().size(), 5);
        QCOMPARE(c["weights_sha256"].toString().size(), 64);
        QVERIFY(c["notes"].toString().contains("never seen a real mammogram"));

        // eval: metrics and a predictions file.
        Run e = run({ "eval", "--run", dir, "--split", "test", "--json" });
        QVERIFY2(e.code == 0, e.err.constData());
        auto ej = QJsonDocument::fromJson(e.out).object();
        QVERIFY(ej["samples"].toInt() > 0);
        QVERIFY(ej["accuracy"].toDouble() >= 0 && ej["accuracy"].toDouble() <= 1);
        QCOMPARE(ej["classes"].toArray().size(), 5);
        QFile pred(ej["predictions"].toString());
        QVERIFY(pred.open(QIODevice::ReadOnly));
        const auto rows = pred.readAll().split('\n');
        QVERIFY(rows.first().startsWith("id,patient,image,abnormality,x,y,label,predicted,p_BACKGROUND"));
        QCOMPARE(rows.size() - 2, ej["samples"].toInt()); // header and final newline
    }

    // Shards written from phantoms keep the phantoms' pixel size, and a model trained from them records it in its
    // card: the dense map over another image resamples to it.
    void exportedShardsKeepThePixelSize()
    {
        const QString shards = m_tmp.path() + "/exported", dir = m_tmp.path() + "/from-shards";
        Run x = run({ "export-shards", "--data", "synth:6:3:192x320", "--task", "patches", "--size", "32", "--out", shards });
        QVERIFY2(x.code == 0, x.err.constData());
        QFile manifest(shards + "/dataset.json");
        QVERIFY(manifest.open(QIODevice::ReadOnly));
        const double spacing = QJsonDocument::fromJson(manifest.readAll()).object()["source"].toObject()["spacing_mm"].toDouble();
        QVERIFY2(qAbs(spacing - 250.0 / 320.0) < 1e-9, qPrintable(QString::number(spacing)));
        Run r = run({ "train", "--data", shards, "--run-dir", dir, "--arch", "compact", "--epochs", "1", "--batch", "8" });
        QVERIFY2(r.code == 0, r.err.constData());
        QFile card(dir + "/checkpoints/best/card.json");
        QVERIFY(card.open(QIODevice::ReadOnly));
        const double trained = QJsonDocument::fromJson(card.readAll()).object()["training"].toObject()["sample_spacing_mm"].toDouble();
        QVERIFY2(qAbs(trained - 250.0 / 320.0) < 1e-9, qPrintable(QString::number(trained)));
    }

    // --lesion-patches: that many crops of every abnormality (the background ones stay), recorded in the manifest.
    void exportedShardsTakeMoreLesionPatches()
    {
        auto total = [&](int n) -> long {
            const QString out = m_tmp.path() + "/lesion-patches-" + QString::number(n);
            Run x = run(
                { "export-shards", "--data", "synth:6:3:192x320", "--size", "32", "--lesion-patches", QString::number(n), "--out", out });
            if (x.code != 0)
                return -1;
            QFile manifest(out + "/dataset.json");
            if (!manifest.open(QIODevice::ReadOnly))
                return -1;
            const QJsonObject o = QJsonDocument::fromJson(manifest.readAll()).object();
            if (o["source"].toObject()["lesion_patches"].toInt() != n)
                return -1;
            long sum = 0;
            for (const auto& v : o["counts"].toObject())
                sum += v.toInteger();
            return sum;
        };
        const long one = total(1), three = total(3), five = total(5);
        QVERIFY(one > 0 && three > 0 && five > 0);
        QVERIFY(three > one);
        QCOMPARE(five - three, three - one); // two more crops of each of the same abnormalities
        QCOMPARE(run({ "export-shards", "--data", "synth:2:3:192x320", "--lesion-patches", "0", "--out", m_tmp.path() + "/lp0" }).code, 2);
        // Training straight from synth: data takes the same option, and its config keeps it for eval.
        const QString dir = m_tmp.path() + "/lesion-patches-run";
        Run t = run({ "train", "--data", "synth:6:3:192x320", "--size", "32", "--arch", "compact", "--epochs", "1", "--batch", "16",
            "--lesion-patches", "3", "--run-dir", dir });
        QVERIFY2(t.code == 0, t.err.constData());
        QFile config(dir + "/config.json");
        QVERIFY(config.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(config.readAll()).object()["train"].toObject()["lesion_patches"].toInt(), 3);
        Run e = run({ "eval", "--run", dir, "--split", "train", "--json" });
        QVERIFY2(e.code == 0, e.err.constData());
        // The split as the run sampled it: three crops per abnormality, the count of the export above (six patients
        // have no test or validation patients).
        QFile m3(m_tmp.path() + "/lesion-patches-3/dataset.json");
        QVERIFY(m3.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(e.out).object()["samples"].toInt(),
            QJsonDocument::fromJson(m3.readAll()).object()["counts"].toObject()["train"].toInt());
        QCOMPARE(run({ "train", "--data", "synth:2:3:192x320", "--lesion-patches", "99", "--run-dir", dir + "-bad" }).code, 2);
    }

    // Resuming is exact: a run killed with kill -9 after a checkpoint, and a run stopped mid-epoch, each resumed, end
    // with the same weights, bit for bit, as the same run never interrupted (one thread: CPU kernels then add in a
    // fixed order). Across the kill, steps strictly increase and every epoch is logged once.
    void killedRunResumesWhereItStopped()
    {
        const QStringList args = kTiny + QStringList { "--threads", "1", "--epochs", "4" };
        const QString ref = m_tmp.path() + "/run2-reference";
        Run whole = run(args + QStringList { "--run-dir", ref });
        QVERIFY2(whole.code == 0, whole.err.constData());
        const auto refWeights = safetensorBytes(ref + "/checkpoints/last/model.safetensors");
        QVERIFY(!refWeights.isEmpty());

        const QString dir = m_tmp.path() + "/run2";
        QProcess p;
        p.start(kTrain, args + QStringList { "--run-dir", dir });
        QVERIFY(p.waitForStarted());
        // Wait for the first epoch's checkpoint, then kill -9 mid-run.
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(dir + "/checkpoints/last/state.json"), 180000);
        ::kill(pid_t(p.processId()), SIGKILL);
        p.waitForFinished();
        QCOMPARE(p.exitStatus(), QProcess::CrashExit);
        Run r = run({ "train", "--resume", dir });
        QVERIFY2(r.code == 0, r.err.constData());
        auto lines = readMetrics(dir);
        QCOMPARE(lines.last()["event"].toString(), QStringLiteral("finished"));
        // Steps strictly increase across the kill (lines after the checkpoint were dropped), epochs 1..4 once each.
        long last = 0;
        QList<int> epochs;
        bool resumed = false;
        for (const auto& l : lines) {
            if (l["event"] == QLatin1String("resumed"))
                resumed = true;
            if (l["type"] == QLatin1String("step")) {
                QVERIFY(l["step"].toInteger() > last);
                last = long(l["step"].toInteger());
            }
            if (l["type"] == QLatin1String("epoch"))
                epochs << l["epoch"].toInt();
        }
        QVERIFY(resumed);
        QCOMPARE(epochs, (QList<int> { 1, 2, 3, 4 }));
        QCOMPARE(readStatus(dir)["state"].toString(), QStringLiteral("finished"));
        const auto killed = safetensorBytes(dir + "/checkpoints/last/model.safetensors");
        QCOMPARE(killed.keys(), refWeights.keys());
        for (const QString& k : refWeights.keys())
            QVERIFY2(killed[k] == refWeights[k], qPrintable("after kill -9 and --resume, tensor " + k + " differs"));

        // Stopped in the middle of an epoch (the stop command checkpoints where it is), then resumed.
        const QString mid = m_tmp.path() + "/run2-stopped";
        QProcess q;
        q.start(kTrain, args + QStringList { "--run-dir", mid });
        QVERIFY(q.waitForStarted());
        QByteArray seen;
        auto stepped = [&] {
            seen += q.readAllStandardOutput();
            return seen.contains("\"type\":\"step\"");
        };
        QTRY_VERIFY_WITH_TIMEOUT(stepped(), 180000);
        q.write("stop\n");
        QVERIFY(q.waitForFinished(120000));
        QCOMPARE(readStatus(mid)["state"].toString(), QStringLiteral("stopped"));
        const QJsonObject state = readJsonFile(mid + "/checkpoints/last/state.json");
        QVERIFY2(state["batch_in_epoch"].toInteger() > 0, "the stop did not land mid-epoch");
        Run rs = run({ "train", "--resume", mid });
        QVERIFY2(rs.code == 0, rs.err.constData());
        const auto stopped = safetensorBytes(mid + "/checkpoints/last/model.safetensors");
        QCOMPARE(stopped.keys(), refWeights.keys());
        for (const QString& k : refWeights.keys())
            QVERIFY2(stopped[k] == refWeights[k], qPrintable("after a mid-epoch stop and --resume, tensor " + k + " differs"));
    }

    // A checkpoint that is there but damaged stops --resume with a message naming it (it restarted from scratch
    // silently before); a state.json claiming epoch 1e18 does not hang.
    void damagedCheckpointIsNotASilentRestart()
    {
        const QString dir = m_tmp.path() + "/run-damaged";
        Run r = run(kTiny + QStringList { "--run-dir", dir, "--epochs", "1" });
        QVERIFY2(r.code == 0, r.err.constData());
        const QString state = dir + "/checkpoints/last/state.json";
        QFile f(state);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QJsonObject st = QJsonDocument::fromJson(f.readAll()).object();
        f.close();
        st["epoch"] = 1e18;
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(QJsonDocument(st).toJson());
        f.close();
        Run e = run({ "train", "--resume", dir }, 60000);
        QCOMPARE(e.code, 5);
        QVERIFY2(e.err.contains("state.json is damaged"), e.err.constData());
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("{ not json");
        f.close();
        Run j = run({ "train", "--resume", dir }, 60000);
        QCOMPARE(j.code, 5);
        QVERIFY(j.err.contains("state.json is damaged"));
        st["epoch"] = 1;
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(QJsonDocument(st).toJson());
        f.close();
        QFile w(dir + "/checkpoints/last/model.safetensors");
        QVERIFY(w.open(QIODevice::WriteOnly | QIODevice::Truncate));
        w.write("damaged");
        w.close();
        Run m = run({ "train", "--resume", dir }, 60000);
        QCOMPARE(m.code, 5);
        QVERIFY2(readStatus(dir)["message"].toString().contains("weights are damaged"), qPrintable(readStatus(dir)["message"].toString()));
    }

    void stopCommandCheckpointsAndExits()
    {
        const QString dir = m_tmp.path() + "/run3";
        QProcess p;
        p.start(kTrain, kTiny + QStringList { "--run-dir", dir, "--epochs", "50" });
        QVERIFY(p.waitForStarted());
        QByteArray seen;
        auto stepped = [&] {
            seen += p.readAllStandardOutput();
            return seen.contains("\"type\":\"step\"");
        };
        QTRY_VERIFY_WITH_TIMEOUT(stepped(), 180000);
        p.write("stop\n");
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        QCOMPARE(readStatus(dir)["state"].toString(), QStringLiteral("stopped"));
        QVERIFY(QFileInfo::exists(dir + "/checkpoints/last/model.safetensors"));
        QCOMPARE(readMetrics(dir).last()["event"].toString(), QStringLiteral("stopped"));
    }

    void divergenceStopsWithAMessage()
    {
        const QString dir = m_tmp.path() + "/run4";
        QStringList args = kTiny;
        const int lr = int(args.indexOf("--lr"));
        args[lr + 1] = "1e30";
        Run r = run(args + QStringList { "--run-dir", dir, "--epochs", "2", "--optimizer", "sgd" });
        QCOMPARE(r.code, 3);
        QCOMPARE(readStatus(dir)["state"].toString(), QStringLiteral("failed"));
        QVERIFY(readStatus(dir)["message"].toString().contains("loss became"));
    }

    // #17: the learning-rate range test on phantoms: an increasing ramp, a smoothed curve, a suggested rate inside the
    // ramp where the loss falls; a ramp into absurd rates stops on divergence; bad options are refused.
    void lrFindSuggestsARate()
    {
        QStringList lf = kTiny;
        lf[0] = "lr-find";
        Run r = run(lf + QStringList { "--steps", "40", "--json" });
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject j = QJsonDocument::fromJson(r.out).object();
        const QJsonArray lr = j["lr"].toArray(), sm = j["smoothed_loss"].toArray();
        QCOMPARE(lr.size(), 40);
        QCOMPARE(sm.size(), 40);
        for (qsizetype i = 1; i < lr.size(); ++i)
            QVERIFY(lr[i].toDouble() > lr[i - 1].toDouble());
        QVERIFY(qAbs(lr[0].toDouble() - 1e-7) < 1e-12);
        const double s = j["suggested_lr"].toDouble();
        QVERIFY2(s > 1e-7 && s < 10, qPrintable(QString::number(s)));
        QVERIFY(!j["diverged"].toBool());
        // the loss at the suggestion is below where the ramp started
        qsizetype at = 0;
        while (at + 1 < lr.size() && lr[at].toDouble() < s)
            ++at;
        QVERIFY(sm[at].toDouble() < sm[0].toDouble());
        Run d = run(lf + QStringList { "--steps", "60", "--start-lr", "1e-3", "--end-lr", "1e5", "--json" });
        const QJsonObject dj = QJsonDocument::fromJson(d.out).object();
        QVERIFY2(dj["diverged"].toBool(), d.out.constData());
        QVERIFY(dj["steps"].toInt() < 60);
        QCOMPARE(run(lf + QStringList { "--steps", "ten" }).code, 2);
        QCOMPARE(run(lf + QStringList { "--start-lr", "1", "--end-lr", "0.1" }).code, 2);
        QCOMPARE(run({ "lr-find", "--arch", "compact" }).code, 2); // no data
    }

    void badArgumentsListTheValidOnes()
    {
        Run a = run({ "train", "--data", "synth:2:1", "--run-dir", m_tmp.path() + "/x", "--arch", "vgg11" });
        QCOMPARE(a.code, 2);
        QVERIFY(a.err.contains("resnet18") && a.err.contains("compact"));
        Run d = run({ "train", "--data", "synth:2:1", "--run-dir", m_tmp.path() + "/y", "--device", "cuda:7" });
        QCOMPARE(d.code, 2);
        QVERIFY(d.err.contains("valid devices here: cpu"));
        Run s = run({ "train", "--data", "synth:zero:1", "--run-dir", m_tmp.path() + "/z", "--arch", "compact" });
        QCOMPARE(s.code, 5);
        QVERIFY(readStatus(m_tmp.path() + "/z")["message"].toString().contains("PATIENTS"));
        // #18 item 4: absurd numbers are refused, not an abort or a hang
        Run neg = run({ "train", "--data", "synth:2:1", "--run-dir", m_tmp.path() + "/neg", "--size", "-64" });
        QCOMPARE(neg.code, 2);
        QVERIFY2(neg.err.contains("--size takes 16-4096"), neg.err.constData());
        Run zero = run({ "eval", "--run", m_tmp.path() + "/run1", "--batch", "0" });
        QCOMPARE(zero.code, 2);
        QVERIFY(zero.err.contains("--batch takes 1-65536"));
        Run v = run({ "devices", "--json" });
        QCOMPARE(v.code, 0);
        auto dev = QJsonDocument::fromJson(v.out).object()["devices"].toArray();
        QVERIFY(!dev.isEmpty());
        QCOMPARE(dev[0].toObject()["id"].toString(), QStringLiteral("cpu"));
    }

    void corruptShardIsNamed()
    {
        // Shards written by the prepare command (through mammoscope-cli) are checked record by record.
        const QString shards = m_tmp.path() + "/shards";
        QProcess synth;
        synth.start(
            QStringLiteral(MS_CLI_PATH), { "synth", "--out", m_tmp.path() + "/ds", "--patients", "3", "--size", "192x320", "--quiet" });
        QVERIFY(synth.waitForFinished(120000) && synth.exitCode() == 0);
        QProcess prep;
        prep.start(QStringLiteral(MS_CLI_PATH),
            { "prepare", m_tmp.path() + "/ds", "--task", "patches", "--size", "32", "--out", shards, "--quiet" });
        QVERIFY(prep.waitForFinished(120000));
        QCOMPARE(prep.exitCode(), 0);
        Run ok = run({ "train", "--data", shards, "--run-dir", m_tmp.path() + "/run5", "--arch", "compact", "--epochs", "1", "--batch", "8",
            "--threads", "2" });
        QVERIFY2(ok.code == 0, ok.err.constData());
        QFile f(shards + "/train-000.mss");
        QVERIFY(f.open(QIODevice::ReadWrite));
        f.seek(f.size() / 2);
        f.write("XXXXXXXX");
        f.close();
        Run bad = run({ "train", "--data", shards, "--run-dir", m_tmp.path() + "/run6", "--arch", "compact", "--epochs", "1" });
        QCOMPARE(bad.code, 5);
        QVERIFY(bad.err.contains("train-000.mss"));
        QVERIFY(bad.err.contains("checksum mismatch") || bad.err.contains("bad metadata"));
    }
};

QTEST_GUILESS_MAIN(TestTrain)
#include "test_train.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// CUDA paths of the engine (label gpu). Skips cleanly on a machine without a CUDA device, as CI is.
#include <QtTest>

#include <cstdio>

namespace
{

struct Run {
    int code = -1;
    QByteArray out, err;
};

Run run(const QStringList& args)
{
    QProcess p;
    p.start(QStringLiteral(MS_TRAIN_PATH), args);
    Run r;
    if (!p.waitForFinished(600000))
        return r;
    r.code = p.exitCode();
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

// Whether the engine sees a CUDA device; -1 when the engine cannot even list devices.
int cudaDevices()
{
    Run d = run({ "devices", "--json" });
    if (d.code != 0)
        return -1;
    int n = 0;
    for (const auto& v : QJsonDocument::fromJson(d.out).object()["devices"].toArray())
        n += v.toObject()["id"].toString().startsWith("cuda");
    return n;
}

} // namespace

class TestGpu : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;

private slots:
    void trainsOnCudaWithBf16AndChannelsLast()
    {
        const QString dir = m_tmp.path() + "/gpu";
        Run r = run({ "train", "--data", "synth:20:3:192x320", "--task", "patches", "--size", "64", "--arch", "resnet18", "--device",
            "cuda", "--amp", "bf16", "--channels-last", "--epochs", "2", "--batch", "32", "--run-dir", dir });
        QVERIFY2(r.code == 0, r.err.constData());
        QFile status(dir + "/status.json");
        QVERIFY(status.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(status.readAll()).object()["state"].toString(), QStringLiteral("finished"));
        Run e = run({ "eval", "--run", dir, "--split", "test", "--device", "cuda", "--json" });
        QVERIFY2(e.code == 0, e.err.constData());
        QVERIFY(QJsonDocument::fromJson(e.out).object()["samples"].toInt() > 0);
    }
    void benchReportsThroughput()
    {
        Run b = run({ "bench", "--device", "cuda", "--arch", "resnet18", "--batch", "64", "--amp", "bf16", "--channels-last", "--steps",
            "5", "--warmup", "2", "--json" });
        QVERIFY2(b.code == 0, b.err.constData());
        auto j = QJsonDocument::fromJson(b.out).object();
        QVERIFY(j["train_images_per_s"].toDouble() > 0);
        QCOMPARE(j["amp"].toString(), QStringLiteral("bf16"));
    }
};

// Without a CUDA device the whole program is skipped, and says so with exit code 77, which ctest reports as "Not Run
// (skipped)" rather than counting a test that checked nothing as passed (SKIP_RETURN_CODE in tests/CMakeLists.txt).
// tools/gpu_session.sh gputest runs the same checks on the GPU machine, which has no Qt.
int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int n = cudaDevices();
    if (n < 0) {
        std::fprintf(stderr, "test_gpu: mammoscope-train devices failed\n");
        return 1;
    }
    if (n == 0) {
        std::printf("SKIP: no CUDA device here (the engine's LibTorch sees none)\n");
        return 77;
    }
    TestGpu t;
    return QTest::qExec(&t, argc, argv);
}
#include "test_gpu.moc"

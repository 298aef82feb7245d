// SPDX-License-Identifier: GPL-3.0-or-later
// CUDA paths of the engine (label gpu). Skips cleanly on a machine without a CUDA device, as CI is.
#include <QtTest>

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

} // namespace

class TestGpu : public QObject
{
    Q_OBJECT
    QTemporaryDir m_tmp;

private slots:
    void initTestCase()
    {
        Run d = run({ "devices", "--json" });
        QCOMPARE(d.code, 0);
        const auto devices = QJsonDocument::fromJson(d.out).object()["devices"].toArray();
        bool cuda = false;
        for (const auto& v : devices)
            cuda = cuda || v.toObject()["id"].toString().startsWith("cuda");
        if (!cuda)
            QSKIP("no CUDA device here (the engine's LibTorch sees none)");
    }
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

QTEST_GUILESS_MAIN(TestGpu)
#include "test_gpu.moc"

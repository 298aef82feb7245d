// SPDX-License-Identifier: GPL-3.0-or-later
// Networks, weights and the optimizer step of the engine (LibTorch).
#include "core/models/batchnorm.h"
#include "core/models/nets.h"
#include "core/models/weights.h"
#include "core/training/internal.h"

#include <QtTest>

#include <set>

using namespace ms;

namespace
{

long long countParams(models::Net& n)
{
    long long c = 0;
    for (auto& p : n.parameters())
        c += p.numel();
    return c;
}

} // namespace

class TestNets : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { torch::manual_seed(0); }

    // torchvision's parameter counts (3 channels, 1000 classes) and names.
    void torchvisionShapes_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<qlonglong>("params");
        QTest::newRow("resnet18") << "resnet18" << 11689512LL;
        QTest::newRow("resnet34") << "resnet34" << 21797672LL;
        QTest::newRow("resnet50") << "resnet50" << 25557032LL;
    }
    void torchvisionShapes()
    {
        QFETCH(QString, arch);
        QFETCH(qlonglong, params);
        auto n = models::create({ arch.toStdString(), 1000, 3 });
        QVERIFY(n);
        QCOMPARE(countParams(*n), params);
        std::set<std::string> names;
        for (const auto& p : n->named_parameters())
            names.insert(p.key());
        for (const auto& b : n->named_buffers())
            names.insert(b.key());
        for (const char* want : { "conv1.weight", "bn1.running_var", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
                 "layer2.0.downsample.1.running_mean", "layer4.1.bn2.weight", "fc.weight", "fc.bias" })
            QVERIFY2(names.count(want), want);
        if (arch == QLatin1String("resnet50"))
            QVERIFY(names.count("layer3.5.conv3.weight"));
    }

    void forwardShapesAndDenseHead()
    {
        for (const char* arch : { "resnet18", "compact" }) {
            auto n = models::create({ arch, 5, 1 });
            n->eval();
            torch::NoGradGuard ng;
            auto x = torch::randn({ 2, 1, 64, 64 });
            auto y = n->forward(x);
            QCOMPARE(y.size(0), 2);
            QCOMPARE(y.size(1), 5);
            // The head applied at every location, averaged, equals the pooled head (it is linear).
            auto f = n->features(x);
            auto dense = n->denseLogits(f);
            QCOMPARE(dense.size(1), 5);
            QVERIFY(torch::allclose(dense.mean({ 2, 3 }), y, 1e-4, 1e-4));
            QCOMPARE(f.size(2), 64 / n->outputStride());
        }
    }

    // Every convolution weight must be seen as channels-last by cuDNN, including the stem's one-input-channel weight
    // and the 1x1 kernels, whose default strides already pass contiguous(ChannelsLast); and the network must compute
    // the same function afterwards.
    void channelsLastEveryWeight_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::newRow("resnet18") << "resnet18";
        QTest::newRow("resnet50") << "resnet50";
        QTest::newRow("compact") << "compact";
    }
    void channelsLastEveryWeight()
    {
        QFETCH(QString, arch);
        auto n = models::create({ arch.toStdString(), 5, 1 });
        n->eval();
        torch::NoGradGuard ng;
        auto x = torch::randn({ 1, 1, 64, 64 });
        auto before = n->forward(x);
        models::toChannelsLast(*n);
        int weights = 0;
        for (const auto& p : n->named_parameters())
            if (p.value().dim() == 4) {
                ++weights;
                QVERIFY2(p.value().suggest_memory_format() == at::MemoryFormat::ChannelsLast, p.key().c_str());
            }
        QVERIFY(weights >= 4);
        auto after = n->forward(x.contiguous(at::MemoryFormat::ChannelsLast));
        QVERIFY(torch::allclose(before, after, 1e-4, 1e-4));
        // The stem's output follows its weight's format.
        QCOMPARE(n->features(x).suggest_memory_format(), at::MemoryFormat::ChannelsLast);
    }

    // Folding batch norm into the convolutions (CPU inference) keeps the function in eval mode, pair by pair; the
    // receptive fields that size the map's tiles are the published ones (ResNet-18 435 px, ResNet-50 427 px).
    void foldBatchNormKeepsTheFunction_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<int>("pairs");
        QTest::addColumn<int>("field");
        QTest::newRow("compact") << "compact" << 4 << 38;
        QTest::newRow("resnet18") << "resnet18" << 20 << 435; // the stem, 8 blocks x 2, 3 downsamples
        QTest::newRow("resnet34") << "resnet34" << 36 << 899;
        QTest::newRow("resnet50") << "resnet50" << 53 << 427; // the stem, 16 blocks x 3, 4 downsamples
    }
    void foldBatchNormKeepsTheFunction()
    {
        QFETCH(QString, arch);
        QFETCH(int, pairs);
        QFETCH(int, field);
        torch::manual_seed(7);
        auto n = models::create({ arch.toStdString(), 5, 1 });
        QCOMPARE(n->receptiveField(), field);
        torch::NoGradGuard ng;
        // statistics and affine parameters far from the identity, so that a wrong fold shows
        for (auto& m : n->modules(false))
            if (auto* bn = m->as<models::BatchNorm2dImpl>()) {
                bn->weight.uniform_(0.5, 1.5);
                bn->bias.uniform_(-0.3, 0.3);
                bn->running_mean.uniform_(-0.5, 0.5);
                bn->running_var.uniform_(0.5, 2.0);
            }
        n->eval();
        auto x = torch::randn({ 2, 1, 96, 96 });
        auto before = n->forward(x);
        QCOMPARE(models::foldBatchNorm(*n), pairs);
        QCOMPARE(models::foldBatchNorm(*n), 0); // folded once only
        auto after = n->forward(x);
        const double scale = before.abs().max().item<double>();
        QVERIFY(scale > 1e-3);
        QVERIFY2(torch::allclose(before, after, 1e-4, 1e-4 * scale),
            qPrintable(QStringLiteral("max difference %1").arg((before - after).abs().max().item<double>())));
    }

    void weightsRoundTripAndRgbFolding()
    {
        QTemporaryDir d;
        const std::string file = d.path().toStdString() + "/w.safetensors";
        auto rgb = models::create({ "resnet18", 1000, 3 });
        QVERIFY(models::saveSafetensors(file, models::stateDict(*rgb)).ok());
        auto loaded = models::loadSafetensors(file);
        QVERIFY(loaded.ok());
        // Into a 1-channel, 5-class network: conv1 folded, head left alone.
        auto gray = models::create({ "resnet18", 5, 1 });
        auto fcBefore = gray->head()->weight.clone();
        auto rep = models::loadInto(*gray, *loaded);
        QVERIFY(rep.ok());
        QVERIFY(rep->foldedRgb);
        QVERIFY(torch::allclose(gray->named_parameters()["conv1.weight"], rgb->named_parameters()["conv1.weight"].sum(1, true)));
        QVERIFY(torch::equal(gray->head()->weight, fcBefore));
        QVERIFY(torch::equal(gray->named_parameters()["layer3.1.conv2.weight"], rgb->named_parameters()["layer3.1.conv2.weight"]));
        // A gray image replicated to RGB gives the same features either way.
        rgb->eval();
        gray->eval();
        torch::NoGradGuard ng;
        auto g = torch::randn({ 1, 1, 64, 64 });
        QVERIFY(torch::allclose(gray->features(g), rgb->features(g.repeat({ 1, 3, 1, 1 })), 1e-4, 1e-4));
        // Strict head: a mismatch is an error naming the tensor.
        auto strict = models::loadInto(*gray, *loaded, true);
        QVERIFY(!strict.ok());
        QVERIFY(strict.error().message.find("tensor fc.") != std::string::npos); // fc.bias or fc.weight, whichever comes first
    }

    void damagedWeightsFile()
    {
        QTemporaryDir d;
        const std::string file = d.path().toStdString() + "/bad.safetensors";
        QFile f(QString::fromStdString(file));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray("\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":", 13));
        f.close();
        auto r = models::loadSafetensors(file);
        QVERIFY(!r.ok());
        QVERIFY(r.error().message.find("not a safetensors file") != std::string::npos);
    }

    // Our multi-tensor SGD step equals torch::optim::SGD's, with momentum, Nesterov and weight decay.
    void foreachSgdMatchesLibTorch_data()
    {
        QTest::addColumn<bool>("nesterov");
        QTest::addColumn<double>("decay");
        QTest::newRow("momentum") << false << 0.0;
        QTest::newRow("nesterov + decay") << true << 1e-2;
    }
    void foreachSgdMatchesLibTorch()
    {
        QFETCH(bool, nesterov);
        QFETCH(double, decay);
        torch::manual_seed(3);
        auto a = models::create({ "compact", 3, 1 });
        auto b = models::create({ "compact", 3, 1 });
        QVERIFY(models::loadInto(*b, models::stateDict(*a), true).ok());
        auto opts = torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(nesterov).weight_decay(decay);
        torch::optim::SGD oa(a->parameters(), opts), ob(b->parameters(), opts);
        for (int step = 0; step < 3; ++step) {
            auto x = torch::randn({ 4, 1, 32, 32 });
            auto y = torch::randint(0, 3, { 4 }, torch::kInt64);
            oa.zero_grad();
            ob.zero_grad();
            torch::nn::functional::cross_entropy(a->forward(x), y).backward();
            torch::nn::functional::cross_entropy(b->forward(x), y).backward();
            oa.step();
            training::sgdStep(ob);
        }
        auto pa = a->parameters(), pb = b->parameters();
        for (size_t i = 0; i < pa.size(); ++i)
            QVERIFY(torch::allclose(pa[i], pb[i], 1e-5, 1e-6));
    }
};

QTEST_GUILESS_MAIN(TestNets)
#include "test_nets.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// Inference for the app and the CLI, behind a torch-free header: load a model (a checkpoint folder with its model
// card, as the engine writes them), list devices, and turn a mammogram into a dense probability map of the model's
// classes. The preprocessing is the training's (core/sampling toModelInput8, the engine's normalisation), and the
// map is the patch classifier applied fully convolutionally: the feature map is average-pooled over windows of one
// training patch and the head runs on every window, which is the sliding-window answer computed in one pass.
#pragma once

#include "core/common/json.h"
#include "core/common/result.h"
#include "core/image/image.h"
#include "core/sampling/tissue.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ms::models
{
struct ModelCard;
}

namespace ms::ml
{

struct ModelInfo {
    std::string dir; // the folder holding card.json and the weights
    std::string name, arch, task;
    std::vector<std::string> classes;
    int sampleSize = 0; // training patch side, pixels
    int inputWidth = 0, inputHeight = 0; // the network's input as trained (whole-image models: the resized mammogram)
    double spacingMm = 0; // pixel size the model was trained at (0: unknown, images are used as they are)
    int outputStride = 0; // of the network's feature map
    int poolMargin = 0; // feature cells the classifier left out at each patch border
    std::string notes, weightsSha256;
    Json card;
    // Classes that count as malignant (their probabilities summed give the malignancy score).
    std::vector<int> malignantClasses() const;
};

// How far a map being computed has come, from 0 to 1, called on the thread that computes it (the app shows it).
using Progress = std::function<void(double fraction)>;

// A probability map over an image: classes x height x width, class-major. Cell (x, y) covers image pixels
// [x * stride, (x + 1) * stride) on both axes; its value is the classifier's answer for the patch of `window` pixels
// centred on the cell. Outside the breast the map says background.
struct Heatmap {
    int width = 0, height = 0, classes = 0;
    double stride = 0; // image pixels per cell
    bool paintsLesions = false; // a lesion-map model's map (it outlines lesions) rather than a patch classifier's
    double window = 0; // image pixels a cell's patch covers
    int imageWidth = 0, imageHeight = 0;
    double imageSpacingMm = 0; // of the image given (0: unknown)
    std::vector<float> prob;
    std::vector<std::string> classNames;

    float at(int c, int x, int y) const { return prob[(size_t(c) * size_t(height) + size_t(y)) * size_t(width) + size_t(x)]; }
    // P(malignant) per cell: the sum of the malignant classes.
    std::vector<float> malignancy(const std::vector<int>& malignantClasses) const;
    // Suspicion per cell: 1 - P(BACKGROUND), what the pointing game and FROC judge (any lesion); 0 without that class.
    std::vector<float> suspicion() const;
    // The same two as log-odds, log(P(in classes) / P(not)), from the probabilities of both sides: where a probability
    // near 1 saturates in float (many cells read 1.0), the log-odds keep the model's order, so maxima and peaks are
    // found on them (floored at the smallest float: about ±103). suspicionLogOdds: the classes other than BACKGROUND.
    std::vector<float> logOdds(const std::vector<int>& positive) const;
    std::vector<float> suspicionLogOdds() const;
    // Index of the BACKGROUND class, -1 when the model has none.
    int backgroundClass() const;
    // The image's score: the maximum malignancy over the breast.
    double score = 0;
    double milliseconds = 0; // all of it; of which:
    double preprocessMs = 0; // resampling and windowing to 8 bits (CPU)
    double networkMs = 0; // upload, network, pooling, softmax, download (the rest: breast masking)
};

// A region of a map the way the reading view draws it (one per peak above the threshold, strongest first), in image
// pixels: the box of the peak's cells (a lesion map: its whole basin above the threshold; a patch classifier's basin
// can be most of a breast, so the cells within the peak prominence), the peak's cell centre, the probability there and
// the most probable lesion class at the peak. The app and `mammoscope-cli export --format dicom-sr` both use it.
struct Region {
    double x = 0, y = 0, width = 0, height = 0;
    double peakX = 0, peakY = 0;
    float score = 0;
    std::string className; // as the model names it ("MALIGNANT_MASS"); empty for a one-class lesion map
};
// `logOdds`: the channel to find regions on, as log-odds per cell (Heatmap::suspicionLogOdds() or logOdds(...)).
std::vector<Region> suspiciousRegions(const Heatmap& h, const std::vector<float>& logOdds, double threshold, size_t maxRegions = 50);

// Grad-CAM of one class: where the classifier looked for it. Cell (x, y) covers image pixels [x * stride, (x + 1) *
// stride) horizontally and [y * strideY, (y + 1) * strideY) vertically (whole-image models resize the image, so the two
// strides differ).
struct GradCam {
    int width = 0, height = 0;
    double stride = 0, strideY = 0;
    int imageWidth = 0, imageHeight = 0;
    int targetClass = -1;
    std::string className;
    std::vector<float> cam; // row-major, relu(sum_k w_k F_k) divided by its maximum; all 0 when nothing supports the class
    std::vector<float> probabilities; // the classifier's answer for the input as a whole
    float at(int x, int y) const { return cam[size_t(y) * size_t(width) + size_t(x)]; }
    double milliseconds = 0;
};

struct DeviceInfo {
    std::string id, name;
    long long memory = 0;
};
std::vector<DeviceInfo> devices();

// What a model learned from, as its card says: phantoms of our generator (synth: data) or real mammograms.
enum class Domain { Unknown, Phantoms, Real };
Domain trainingDomain(const ModelInfo& info);
// A plain warning when a model meets images of the other kind (empty when they match or either is unknown).
std::string domainWarning(Domain model, Domain images);

// The default threshold a lesion-map model's card gives (chosen on held-out folds: about one region per normal
// mammogram) and what it had there.
struct OperatingPoint {
    double threshold = 0; // probability
    double regionsPerNormalImage = 0;
    double sensitivityMasses = -1, sensitivityAll = -1; // -1: not stated
};
bool operatingPoint(const ModelInfo& info, OperatingPoint& out);

// A tissue model's answer for one mammogram: the class of every image pixel (sampling::TissueClass: background, fatty,
// fibroglandular, pectoral muscle; the largest breast kept, its holes filled) and what it says about the breast.
struct TissueMap {
    Gray8 classes;
    sampling::TissueStats stats;
    double milliseconds = 0, networkMs = 0;
};

// The folder of a model that ships with MammoScope ("demo", "mias", "tissue"): $MAMMOSCOPE_<NAME>_MODEL, then
// share/mammoscope/models/<name> beside the executable's bin/, then the source tree's models/<name>; empty when none
// has a card.json.
std::string shippedModelDir(const std::string& name);

class Model
{
public:
    // A card whose architecture is "torchscript" names a TorchScript file exported from Python (torch.jit.script or
    // trace; input N x 1 x H x W normalised as the card says, output N x classes logits): inference only, its dense map
    // a sliding window, no Grad-CAM. The file's answer to one input of the card's size is checked at load.
    // Loads dir/card.json and its weights onto device ("cpu", "cuda", "cuda:N"); a CUDA device that is absent gives an
    // error the caller can show (the app falls back to the CPU with a notice).
    static Result<std::unique_ptr<Model>> load(const std::string& dir, const std::string& device = "cpu");
    // A model with random weights of an architecture (for timing: speed does not depend on the weights).
    static Result<std::unique_ptr<Model>> untrained(const std::string& arch, int sampleSize, const std::string& device = "cpu");
    ~Model();
    // bf16 autocast and channels-last on CUDA (ignored on the CPU).
    void setFast(bool bf16, bool channelsLast);
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    const ModelInfo& info() const;
    std::string deviceName() const;
    // The dense map of one image (resampled to the model's pixel size when both are known). Thread-compatible: one
    // thread at a time (the app's inference thread owns the model).
    // On the CPU the features are computed tile by tile (channels-last, each tile with the network's receptive field of
    // image around it, so the map is the whole image's): a 3064x4664 mammogram through the compact CNN went from 23 s to
    // about 2 s on two cores, and progress is reported after each tile.
    Result<Heatmap> denseMap(const Image16& image, double cellStridePx = 0, const Progress& progress = {});
    // Tile size in model-input pixels for CPU dense maps (a multiple of the output stride; 0: the whole image at once).
    // The default suits the architecture; the benchmark and the tests change it.
    void setTileSize(int px);
    int tileSize() const;
    // A lesion-map model's map of one mammogram (task 'lesion-map', a U-Net over the whole image): classes BACKGROUND and
    // LESION on a grid of the model's pixel size aligned with the image. otherBreast: the same woman's other breast in
    // the same view, the model's second channel (without it the image itself stands in: no asymmetry to see). An
    // image without a pixel size is scaled to fill the model's canvas height (for mini-MIAS's 1024-pixel PGMs the same as
    // their 0.2 mm). denseMap calls this for such models.
    // tissue: the image's tissue classes (TissueMap::classes, image-sized): cells on its background say background (without
    // it, Otsu's threshold decides what is breast).
    Result<Heatmap> lesionMap(
        const Image16& image, const Image16* otherBreast = nullptr, const Gray8* tissue = nullptr, const Progress& progress = {});
    // Whether the model paints lesions itself (task 'lesion-map') rather than classifying patches.
    bool isLesionMap() const;
    // A tissue model (task 'tissue', a U-Net over the whole image scaled to fill its square canvas, chest wall left):
    // background, fatty, fibroglandular tissue and pectoral muscle for every pixel of the image.
    bool isTissue() const;
    Result<TissueMap> tissueMap(const Image16& image);
    // Grad-CAM for a whole-image, ROI or patch classifier (the input: the mammogram for 'whole', resized to the network's
    // input; a crop for 'roi'; any image for 'patches', at the model's pixel size). targetClass -1: the predicted one.
    // Lean: the parameters are frozen and the backbone runs without a graph; the graph starts at the last feature map,
    // so the backward pass is only the pooling and the linear head.
    Result<GradCam> gradCam(const Image16& image, int targetClass = -1);
    // The plain forward pass of the same input (no graph), for timing Grad-CAM against it.
    Result<std::vector<float>> predict(const Image16& image);
    // Peak device memory allocated by LibTorch since the last reset (CUDA; 0 on the CPU), for the benchmarks.
    long long peakMemoryBytes(bool reset);
    // Class probabilities of 8-bit patches of the model's sample size (batch inference, for tests and scoring).
    Result<std::vector<float>> classify(const std::vector<const uint8_t*>& patches);

private:
    Model();
    static Result<std::unique_ptr<Model>> loadLesionMap(
        const std::filesystem::path& dir, const models::ModelCard& card, const std::string& device);
    static Result<std::unique_ptr<Model>> loadTorchScript(
        const std::filesystem::path& dir, const models::ModelCard& card, const std::string& device);
    Result<Heatmap> slidingMap(const Image16& imageIn, const Image16& img, const Gray8& g, double scale, double cellStridePx,
        std::chrono::steady_clock::time_point t0, std::chrono::steady_clock::time_point tPre, const Progress& progress);
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace ms::ml

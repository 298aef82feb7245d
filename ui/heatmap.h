// SPDX-License-Identifier: GPL-3.0-or-later
// Suspicious-region heatmaps in the reading view: a model (core/ml) on its own inference thread, which owns it; maps
// cached per image for the loaded model; an overlay layer drawing the chosen channel in a colormap over every view
// (single or four-view, mirroring handled by the view geometry); and the panel with the controls, the legend and the
// image's scores. The UI thread never waits for the model.
#pragma once

#include "core/image/colormap.h"
#include "core/image/image.h"
#include "core/ml/inference.h"
#include "ui/overlay.h"
#include "ui/scoring.h"

#include <QHash>
#include <QImage>
#include <QObject>
#include <QRectF>
#include <QThread>
#include <QWidget>

#include <deque>
#include <memory>

class QCheckBox;
class QComboBox;
class QListWidget;
class QLabel;
class QPushButton;
class QProgressBar;
class QSlider;

namespace ms::ui
{

// An image's maps: the dense patch map (empty for whole-image and ROI models) and, when asked for, the Grad-CAM of
// the predicted class.
struct ImageMaps : ml::Heatmap {
    bool hasCam = false;
    ml::GradCam cam;
    // The tissue model's map of the same image (the breast it masked the lesion map with, the pectoral muscle, the
    // dense tissue, the density estimate); null without a tissue model.
    std::shared_ptr<const ml::TissueMap> tissue;
};
using HeatmapPtr = std::shared_ptr<const ImageMaps>;

constexpr int kGradCamChannel = 1000;

struct HeatmapSettings {
    bool enabled = false;
    // 0: suspicion (1 - P(background)), 1: malignancy (sum of malignant classes), 2 + c: class c, kGradCamChannel:
    // Grad-CAM of the predicted class
    int channel = 0;
    Colormap colormap = Colormap::Inferno;
    double opacity = 0.5;
    double threshold = 0.3; // cells below are not drawn
    bool regions = true; // the suspicious regions' boxes over the images
    bool tissue = false; // the tissue model's pectoral muscle and dense tissue, tinted
};

// A suspicious region of a map: one peak of the chosen channel's log-odds above the threshold (metrics::detectPeaks),
// its box in image pixels over the cells within the prominence of the peak.
struct SuspiciousRegion {
    QRectF imageRect;
    QPointF peak; // image pixels, the centre of the peak's cell
    float score = 0; // probability at the peak
    QString className; // the most probable lesion class at the peak, as the model names it ("MALIGNANT_MASS")
    bool overPectoral = false; // the peak lies on the pectoral muscle (tissue model): often not a breast finding
    QString label() const; // "malignant mass", "lesion (over the pectoral muscle)"
};

// The breast density estimate of a tissue map, for a person: "31 % fibroglandular tissue by area (quartile b of BI-RADS
// 4th edition; an area estimate, not a radiologist's rating)"; empty when the map has no breast tissue.
QString densityText(const ml::TissueMap& t);

// Heatmaps of the loaded model by image index, and how to draw them.
class HeatmapStore : public QObject
{
    Q_OBJECT
public:
    explicit HeatmapStore(QObject* parent = nullptr);
    const HeatmapSettings& settings() const { return m_settings; }
    void setSettings(const HeatmapSettings& s);
    void put(int imageIndex, HeatmapPtr map);
    HeatmapPtr get(int imageIndex) const { return m_maps.value(imageIndex); }
    void clear();
    int size() const { return int(m_maps.size()); }
    void setMalignantClasses(std::vector<int> c) { m_malignant = std::move(c); }
    // The chosen channel of a map, cell by cell.
    std::vector<float> channel(const ml::Heatmap& h) const;
    // The same as log-odds (unsaturated near 1): what the suspicious regions are found on.
    std::vector<float> channelLogOdds(const ml::Heatmap& h) const;
    // The coloured map of an image for the current settings (cached), transparent below the threshold.
    QImage image(int imageIndex) const;
    // The tissue tint of an image (pectoral muscle blue, dense tissue green; transparent elsewhere), cached; null
    // without a tissue map.
    QImage tissueImage(int imageIndex) const;
    // The image's suspicious regions for the current settings, strongest first (cached; empty without a map).
    const std::vector<SuspiciousRegion>& regions(int imageIndex) const;
    // The region picked in the panel's list (drawn highlighted); -1: none.
    void setSelectedRegion(int imageIndex, int region);
    int selectedRegion(int imageIndex) const { return imageIndex == m_selectedImage ? m_selectedRegion : -1; }

signals:
    void changed();
    void selectionChanged(); // the highlighted region only: views repaint, nothing is recomputed

private:
    HeatmapSettings m_settings;
    QHash<int, HeatmapPtr> m_maps;
    std::vector<int> m_malignant;
    mutable QHash<int, QImage> m_images, m_tissueImages;
    mutable QHash<int, std::vector<SuspiciousRegion>> m_regions;
    int m_selectedImage = -1, m_selectedRegion = -1;
};

class HeatmapOverlay : public OverlayLayer
{
public:
    explicit HeatmapOverlay(const HeatmapStore* store) : m_store(store) { }
    QString name() const override { return QStringLiteral("Heatmap"); }
    void paint(QPainter& p, const ViewGeometry& g, const LoadedView& view) const override;
    static constexpr int kRegionsDrawn = 5; // the strongest; a region picked in the list is drawn whatever its rank

private:
    void paintRegions(QPainter& p, const ViewGeometry& g, const LoadedView& view) const;
    const HeatmapStore* m_store;
};

// Runs on the inference thread; owns the model.
class InferenceWorker : public QObject
{
    Q_OBJECT
public slots:
    void load(const QString& dir, const QString& device);
    void compute(int imageIndex, ms::ImagePtr image, bool gradCam);
    void score(ms::ui::ScoreJob job);

signals:
    void scored(ms::ui::ScoreJob job, ms::ui::ImageScore score);
    // facts: "domain" (ml::Domain as int) and, for lesion-map models, the card's operating point ("threshold",
    // "regions_per_normal", "sensitivity_masses", "sensitivity_all")
    void loaded(const QString& name, const QString& device, const QString& notes, const QStringList& classes, const QString& notice,
        const QString& modelId, const QString& task, const QVariantMap& facts);
    void loadFailed(const QString& message);
    void computed(int imageIndex, ms::ui::HeatmapPtr map);
    void failed(int imageIndex, const QString& message);
    // How far the map of imageIndex has come (whole per cent, each value once).
    void progress(int imageIndex, int percent);

private:
    std::unique_ptr<ml::Model> m_model;
    // The shipped tissue model (models/tissue), loaded with the first map: masks the lesion map to the breast and
    // gives the pectoral muscle and the density estimate.
    std::unique_ptr<ml::Model> m_tissue;
    bool m_tissueTried = false;
    QString m_device;
};

class InferenceService : public QObject
{
    Q_OBJECT
public:
    explicit InferenceService(HeatmapStore* store, QObject* parent = nullptr);
    ~InferenceService() override;
    // The models shipped with the app, or empty when not installed: models/demo (phantoms) and models/mias (a lesion
    // map trained on real mini-MIAS mammograms).
    static QString shippedModelDir(const QString& name);
    static QString demoModelDir() { return shippedModelDir(QStringLiteral("demo")); }
    static QString realModelDir() { return shippedModelDir(QStringLiteral("mias")); }
    // The shipped model that suits the images: the phantom model for phantoms, the real one otherwise (where installed).
    static QString defaultModelFor(ml::Domain images);
    // chosenByUser: a model the user picked (--model, Choose model…) is kept when another dataset opens.
    void loadModel(const QString& dir, const QString& device = QStringLiteral("cpu"), bool chosenByUser = true);
    QString modelDir() const { return m_dir; }
    bool modelChosenByUser() const { return m_chosen; }
    ml::Domain domain() const { return m_domain; }
    // A lesion-map model's default threshold from its card (false when it states none).
    bool operatingPoint(ml::OperatingPoint& op) const
    {
        op = m_op;
        return m_hasOp;
    }
    bool hasModel() const { return !m_modelName.isEmpty(); }
    QString modelName() const { return m_modelName; }
    QString deviceName() const { return m_device; }
    QString modelNotes() const { return m_notes; }
    QStringList classes() const { return m_classes; }
    // The images shown now: the ones without a map are computed one at a time, the latest wish first.
    void want(const QList<QPair<int, ms::ImagePtr>>& images);
    bool busy() const { return m_inFlight >= 0; }
    // The model's identity for caches: its name and the hash of its weights.
    QString modelId() const { return m_modelId; }
    QString task() const { return m_task; } // patches (dense maps and Grad-CAM), roi or whole (Grad-CAM only)

    // Batch scoring (behind the images shown: those go first). Progress and results come as signals.
    void scoreImages(const QVector<ScoreJob>& jobs);
    void cancelScoring();
    bool scoring() const { return m_batchTotal > 0; }

signals:
    void scoreReady(const ms::ui::ScoreJob& job, const ms::ui::ImageScore& score);
    void scoringProgress(int done, int total);
    void scoringFinished(bool cancelled);
    void modelChanged();
    void message(const QString& text);
    void mapReady(int imageIndex);
    // The map being computed: per cent done, or -1 when it is ready or failed.
    void mapProgress(int imageIndex, int percent);

private:
    void next();

    HeatmapStore* m_store;
    QThread m_thread;
    InferenceWorker* m_worker;
    QString m_modelName, m_device, m_notes;
    QStringList m_classes;
    std::deque<QPair<int, ms::ImagePtr>> m_queue;
    int m_inFlight = -1;
    QString m_modelId, m_task, m_dir, m_previousDir;
    bool m_chosen = false, m_previousChosen = false, m_hasOp = false;
    ml::Domain m_domain = ml::Domain::Unknown;
    ml::OperatingPoint m_op;
    std::deque<ScoreJob> m_batch;
    int m_batchTotal = 0, m_batchDone = 0;
    bool m_scoringInFlight = false, m_cancelled = false;
    bool m_loading = false;
};

// Colour scale with the probability axis and the threshold.
class HeatmapLegend : public QWidget
{
public:
    explicit HeatmapLegend(QWidget* parent = nullptr);
    void setSettings(const HeatmapSettings& s);
    QSize sizeHint() const override { return { 220, 38 }; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    HeatmapSettings m_s;
};

class HeatmapPanel : public QWidget
{
    Q_OBJECT
public:
    HeatmapPanel(HeatmapStore* store, InferenceService* service, QWidget* parent = nullptr);
    void setCurrentImage(int imageIndex);
    // What the open dataset's images are (phantoms or real mammograms): a model of the other kind gets a warning.
    void setImagesDomain(ml::Domain images);
    QLabel* domainWarningLabel() const { return m_warning; }
    QLabel* operatingPointLabel() const { return m_operating; }
    QSlider* thresholdSlider() const { return m_threshold; }
    QCheckBox* enableBox() const { return m_enable; }
    QCheckBox* regionsBox() const { return m_regionsBox; }
    QCheckBox* tissueBox() const { return m_tissueBox; }
    QComboBox* channelCombo() const { return m_channel; }
    QLabel* scoreLabel() const { return m_score; }
    // Shown while a map is computed (a full-field mammogram takes seconds on the CPU).
    QProgressBar* mapProgressBar() const { return m_mapProgress; }
    // Suspicious regions of the current image's map above the threshold, strongest first; a click zooms to one.
    QListWidget* detectionList() const { return m_detections; }

    QPushButton* promoteButton() const { return m_promote; }
    QPushButton* scoreButton() const { return m_scoreButton; }
    QLabel* agreementLabel() const { return m_agreement; }
    void setScoringProgress(int done, int total); // total 0: idle
    void setAgreement(const QString& text);
    // Asks for the selected region to become an abnormality (type and pathology from its class), source "model".
    void promoteSelected();

signals:
    void detectionActivated(const QRectF& imageRect);
    void promoteRequested(int imageIndex, const QRectF& imageRect, const QString& type, const QString& pathology);
    // Score every image of the dataset, or those the browser shows (filteredOnly).
    void scoreRequested(bool filteredOnly);
    void scoreCancelRequested();

private:
    void updateDetections();
    void readControls();
    void updateScore();
    void updateModel();

    HeatmapStore* m_store;
    InferenceService* m_service;
    QCheckBox *m_enable, *m_regionsBox, *m_tissueBox;
    QLabel *m_model, *m_score, *m_notice;
    QComboBox *m_device, *m_channel, *m_colormap;
    QSlider *m_opacity, *m_threshold;
    QPushButton* m_choose;
    HeatmapLegend* m_legend;
    QListWidget* m_detections;
    QPushButton* m_promote = nullptr;
    QComboBox* m_scoreScope = nullptr;
    QPushButton *m_scoreButton = nullptr, *m_scoreCancel = nullptr;
    QProgressBar* m_scoreProgress = nullptr;
    QProgressBar* m_mapProgress = nullptr;
    QLabel* m_agreement = nullptr;
    QLabel *m_warning = nullptr, *m_operating = nullptr;
    ml::Domain m_images = ml::Domain::Unknown;
    int m_current = -1;
};

} // namespace ms::ui

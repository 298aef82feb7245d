// SPDX-License-Identifier: GPL-3.0-or-later
// Evaluation of a run: the confusion matrix as a heatmap, ROC curves per class (one vs rest) and malignant vs benign,
// the per-class table, and a gallery of misclassified and low-confidence samples sorted by confidence. A double-click
// on a sample asks the main window to open its image at the lesion.
#pragma once

#include "core/common/json.h"

#include <QFutureWatcher>
#include <QHash>
#include <QImage>
#include <QWidget>

class QComboBox;
class QCustomPlot;
class QTableWidget;
class QListWidget;
class QListWidgetItem;
class QLabel;
class QPushButton;

namespace ms::runs
{
class RunReader;
}

namespace ms::ui
{

struct Prediction {
    QString id, patient, image;
    int abnormality = -1, x = 0, y = 0;
    int label = -1, predicted = -1;
    std::vector<float> probabilities;
    float confidence() const { return predicted >= 0 ? probabilities[size_t(predicted)] : 0.f; }
};

// Reads a predictions CSV written by `mammoscope-train eval`. classes receives the class names from the header.
bool readPredictions(const QString& file, QStringList& classes, QList<Prediction>& out, QString* error);

class EvalView : public QWidget
{
    Q_OBJECT
public:
    explicit EvalView(QWidget* parent = nullptr);
    ~EvalView() override;

    // Shows what the run folder holds (validation reports of its epochs, eval results with predictions).
    void setRun(const QString& dir);
    // Called when the run gained lines (a new epoch, a finished eval).
    void refresh();
    QString runDir() const { return m_dir; }
    // True while the gallery's sample images load in the background.
    bool isLoading() const { return m_thumbWatcher->isRunning(); }

    QCustomPlot* confusionPlot() const { return m_confusion; }
    QCustomPlot* rocPlot() const { return m_roc; }
    QTableWidget* classTable() const { return m_table; }
    QListWidget* gallery() const { return m_gallery; }
    QComboBox* sourceCombo() const { return m_source; }
    const QList<Prediction>& predictions() const { return m_predictions; }
    // The confusion matrix shown now ([truth][predicted]).
    const std::vector<std::vector<long>>& confusion() const { return m_matrix; }

signals:
    void evaluateRequested(const QString& split);
    void openSample(const QString& imageKey, int abnormality, int x, int y, int width, int height);
    // The same, with the Curation panel on the sample's abnormality: a wrong label found by the network is fixed there.
    void correctSample(const QString& imageKey, int abnormality, int x, int y, int width, int height);
    void message(const QString& text);

private:
    void showSource(int index);
    void showReport(const Json& report, const QStringList& classes);
    void showRoc();
    void fillGallery();
    void setNote(const QString& text);
    void loadThumbnails();

    QString m_dir;
    std::unique_ptr<runs::RunReader> m_reader;
    QComboBox* m_source;
    QComboBox* m_galleryFilter;
    QPushButton* m_evaluate;
    QLabel* m_summary;
    QLabel* m_note;
    QCustomPlot* m_confusion;
    QCustomPlot* m_roc;
    QTableWidget* m_table;
    QListWidget* m_gallery;
    QStringList m_classes;
    QList<Prediction> m_predictions;
    QString m_predictionsFile;
    QString m_split;
    std::vector<std::vector<long>> m_matrix;
    QHash<QString, QImage> m_thumbs; // sample id -> image
    QFutureWatcher<QHash<QString, QImage>>* m_thumbWatcher;
    QString m_thumbsFor; // run + split the thumbnails belong to
    int m_sampleW = 0, m_sampleH = 0;
    int m_evalsSeen = 0;
    QString m_noteBase; // the note without the gallery's count
};

} // namespace ms::ui

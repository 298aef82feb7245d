// SPDX-License-Identifier: GPL-3.0-or-later
// Scoring a whole dataset (or the browser's filtered set) in the background with the heatmap model: each image's
// malignancy score, and what the agreement figures need (the pointing game's hit, FROC marks), cached per model on
// disk so a second pass costs nothing. The cache is append-only JSON lines, one complete line per scored image; a
// cancelled or killed batch leaves only whole lines (a torn last line is ignored when read).
#pragma once

#include "core/dataset/dataset.h"
#include "core/metrics/heatmap.h"

#include <QHash>
#include <QMetaType>
#include <QString>

#include <vector>

namespace ms::ml
{
class Model;
}

namespace ms::ui
{

struct ScoreJob {
    int imageIndex = -1;
    QString path;
    QString truth; // hash of the image's ground truth (see truthKey)
    std::vector<dataset::Abnormality> lesions; // the image's abnormalities in the effective dataset
    bool malignant = false;
    bool hasTruth = true; // false: the dataset says nothing of this image (scored, but in no agreement figure)
};

struct ImageScore {
    float malignancy = -1; // the model's image score
    float suspicionMax = -1;
    int pointing = -1; // 1: the suspicion maximum inside a lesion, 0: outside, -1: no lesion
    metrics::FrocMarks marks;
    bool malignant = false; // ground truth: any malignant abnormality
    bool hasTruth = true; // the image has ground truth (else it counts in no agreement figure)
    QString error; // the image could not be scored, and why
    double ms = 0;
};

// The ground truth of an image as the agreement sees it (abnormality keys, pathology, ROI source), for cache keys.
QString truthKey(const dataset::Dataset& ds, int imageIndex);
ScoreJob makeJob(const dataset::Dataset& ds, int imageIndex);
// Runs on the inference thread: decode, dense map, score and agreement marks (one candidate per peak of the
// suspicion's log-odds above 0.3, as `mammoscope-cli score` does).
ImageScore scoreImage(ml::Model& model, const ScoreJob& job);

class ScoreCache
{
public:
    // <cache>/scores/<model id>-v<kMarksVersion>.jsonl; empty model id: no cache. The version changes with the way
    // candidates are found (their scores and hits), so marks of another method are never mixed into one FROC.
    static constexpr int kMarksVersion = 2;
    explicit ScoreCache(const QString& modelId = {});
    const QString& file() const { return m_file; }
    bool lookup(const ScoreJob& job, ImageScore& out) const;
    void append(const ScoreJob& job, const ImageScore& s);
    int size() const { return int(m_entries.size()); }

private:
    static QString key(const ScoreJob& job);
    QString m_file;
    QHash<QString, ImageScore> m_entries;
};

struct Agreement {
    int images = 0, withLesions = 0, failed = 0, withoutTruth = 0;
    double pointing = -1;
    std::vector<metrics::FrocPoint> froc;
    double auc = -1; // NaN/-1 when one class only
    QString summary() const;
};
Agreement agreement(const QHash<int, ImageScore>& scores);

} // namespace ms::ui

Q_DECLARE_METATYPE(ms::ui::ScoreJob)
Q_DECLARE_METATYPE(ms::ui::ImageScore)

// SPDX-License-Identifier: GPL-3.0-or-later
// Batch scoring from the main window: which images (all, or the browser's filtered rows), the per-model disk cache,
// the browser's Score and Breast columns, and the agreement of the maps with the ground truth in the heatmap panel.
#include "ui/mainwindow.h"

#include <QStatusBar>

#ifdef MS_WITH_ML
#include "ui/heatmap.h"
#include "ui/scoring.h"
#endif

namespace ms::ui
{

#ifdef MS_WITH_ML

struct MainWindow::Scoring {
    std::unique_ptr<ScoreCache> cache;
    QString cacheModel;
    QHash<int, ImageScore> scores;
    int fromCache = 0;
};

void MainWindow::buildScoring()
{
    m_scoring = std::make_shared<Scoring>();
    connect(m_heatPanel, &HeatmapPanel::scoreRequested, this, &MainWindow::scoreImages);
    connect(m_heatPanel, &HeatmapPanel::scoreCancelRequested, m_infer, &InferenceService::cancelScoring);
    connect(m_infer, &InferenceService::scoringProgress, m_heatPanel, &HeatmapPanel::setScoringProgress);
    connect(m_infer, &InferenceService::scoreReady, this, [this](const ScoreJob& job, const ImageScore& s) {
        if (!m_ds || job.imageIndex >= int(m_ds->images.size()))
            return;
        m_scoring->scores.insert(job.imageIndex, s);
        if (m_scoring->cache)
            m_scoring->cache->append(job, s);
    });
    connect(m_infer, &InferenceService::scoringFinished, this, [this](bool cancelled) {
        m_heatPanel->setScoringProgress(0, 0);
        QHash<int, float> mal;
        for (auto it = m_scoring->scores.begin(); it != m_scoring->scores.end(); ++it)
            if (it->error.isEmpty())
                mal.insert(it.key(), it->malignancy);
        m_tableModel->setScores(mal);
        const Agreement a = agreement(m_scoring->scores);
        m_heatPanel->setAgreement(a.summary() + (cancelled ? tr("\n(cancelled: the images scored so far)") : QString()));
        statusBar()->showMessage(cancelled ? tr("Scoring cancelled; %1 images have scores.").arg(a.images)
                                           : tr("Scored %1 images (%2 from the cache).").arg(a.images).arg(m_scoring->fromCache),
            15000);
    });
    // Scores belong to a model and a dataset.
    connect(m_infer, &InferenceService::modelChanged, this, [this] {
        m_scoring->scores.clear();
        m_tableModel->setScores({});
        m_heatPanel->setAgreement({});
    });
    connect(this, &MainWindow::datasetShown, this, [this] {
        m_scoring->scores.clear();
        m_heatPanel->setAgreement({});
    });
}

void MainWindow::scoreImages(bool filteredOnly)
{
    if (!m_ds || !m_infer->hasModel()) {
        statusBar()->showMessage(tr("Load a model first (Heatmap panel)."), 10000);
        return;
    }
    if (m_infer->scoring())
        return;
    if (!m_scoring->cache || m_scoring->cacheModel != m_infer->modelId()) {
        m_scoring->cache = std::make_unique<ScoreCache>(m_infer->modelId());
        m_scoring->cacheModel = m_infer->modelId();
    }
    QList<int> images;
    if (filteredOnly) {
        for (int r = 0; r < m_proxy->rowCount(); ++r)
            images << m_proxy->index(r, 0).data(ImageIndexRole).toInt();
    } else {
        for (const auto& im : m_ds->images)
            images << im.index;
    }
    QVector<ScoreJob> jobs;
    m_scoring->fromCache = 0;
    for (int i : images) {
        if (m_ds->images[size_t(i)].path.empty())
            continue;
        ScoreJob j = makeJob(*m_ds, i);
        ImageScore cached;
        if (m_scoring->cache->lookup(j, cached)) {
            m_scoring->scores.insert(i, cached);
            ++m_scoring->fromCache;
        } else {
            jobs << j;
        }
    }
    m_infer->scoreImages(jobs); // finishes at once when everything came from the cache
}

#else

struct MainWindow::Scoring {
};
void MainWindow::buildScoring()
{
}
void MainWindow::scoreImages(bool)
{
}

#endif

} // namespace ms::ui

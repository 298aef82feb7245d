// SPDX-License-Identifier: GPL-3.0-or-later
// Live charts of one run, or of several on the same axes: loss per step (raw and smoothed) with the epoch train and
// validation loss, train vs validation accuracy with the gap between them filled (overfitting made visible),
// validation AUC, learning rate, images/s and device memory. Follows run folders through RunReader, whoever writes
// them; polls and replots at most 5 times a second, only what changed. Zoom and pan with the mouse (double-click:
// back to following the data), values on hover, export as PNG, PDF or CSV.
#pragma once

#include <QColor>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <vector>

class QCustomPlot;
class QCPGraph;
class QCPItemText;
class QCPTextElement;
class QTimer;
class QLabel;

namespace ms::runs
{
class RunReader;
}

namespace ms::ui
{

class RunCharts : public QWidget
{
    Q_OBJECT
public:
    enum Chart { Loss, Accuracy, Auc, LearningRate, Throughput, Memory, ChartCount };

    explicit RunCharts(QWidget* parent = nullptr);
    ~RunCharts() override;

    // The runs to show; with one run every series is drawn, with several each run gets a colour.
    void setRuns(const QStringList& dirs, const QStringList& names = {});
    QStringList runs() const;
    // Reads what the run folders gained and updates the graphs (the timer calls this; tests may too).
    void pollNow();
    // Replots what changed now (normally at most every 100 ms).
    void replotNow();
    void setLive(bool on);
    // Replots queued as events (default; the live timer's way) or at once (screenshots, tests).
    void setQueuedReplots(bool on) { m_queued = on; }

    QCustomPlot* plot(Chart c) const { return m_plots[c]; }
    const runs::RunReader* reader(int i = 0) const;
    int stepPointCount(int run = 0) const;
    int epochPointCount(int run = 0) const;
    // The longest single replot so far, in ms (the panel's smoothness figure).
    double maxReplotMs() const { return m_maxReplotMs; }
    int replotCount() const { return m_replots; }

    bool savePng(const QString& file, int width = 0, int height = 0);
    bool savePdf(const QString& file);
    bool saveCsv(const QString& file, QString* error = nullptr) const;

    static QColor runColor(int i);

signals:
    // New lines arrived (after the graphs were updated).
    void updated();

private:
    struct Series;
    void buildPlots();
    void clearGraphs();
    void addSeriesGraphs(Series& s, int index, bool single);
    void feed(Series& s);
    void autoscale(int chart);
    void extend(int chart, double key, double value);
    void updateGap();
    void showHover(int chart, const QPoint& pos);

    QCustomPlot* m_plots[ChartCount] = {};
    QCPTextElement* m_titles[ChartCount] = {};
    bool m_userZoomed[ChartCount] = {};
    bool m_dirty[ChartCount] = {};
    std::vector<std::unique_ptr<Series>> m_series;
    QCPItemText* m_gapLabel = nullptr;
    QTimer* m_timer;
    struct Extent {
        bool valid = false;
        double keyLo = 0, keyHi = 0, valueLo = 0, valueHi = 0;
    };
    Extent m_extent[ChartCount];
    bool m_queued = true;
    double m_maxReplotMs = 0;
    int m_replots = 0;
};

} // namespace ms::ui

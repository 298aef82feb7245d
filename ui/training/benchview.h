// SPDX-License-Identifier: GPL-3.0-or-later
// CPU vs GPU, answered on the user's own machine: runs `mammoscope-train bench` on the CPU and on each CUDA device
// the engine reports, one after the other, and plots training and inference images/s with the speedup over the CPU.
#pragma once

#include "core/common/json.h"

#include <QWidget>

class QComboBox;
class QSpinBox;
class QCheckBox;
class QPushButton;
class QLabel;
class QListWidget;
class QCustomPlot;

namespace ms::ui
{

class EngineProcess;

struct DeviceInfo {
    QString id, name;
    qint64 memory = 0;
    int threads = 0;
};
// Parses `mammoscope-train devices --json`.
QList<DeviceInfo> parseDevices(const QByteArray& json, QString* torchVersion = nullptr);

class BenchView : public QWidget
{
    Q_OBJECT
public:
    explicit BenchView(QWidget* parent = nullptr);
    void setDevices(const QList<DeviceInfo>& devices);
    // Results (one bench --json object a device); also restored from and saved to the app's data folder.
    const QList<Json>& results() const { return m_results; }
    void setResults(const QList<Json>& results);
    QCustomPlot* plot() const { return m_plot; }
    bool isRunning() const;
    void start();
    void cancel();
    bool savePng(const QString& file);
    // Adds the results in a file of `mammoscope-train bench --json` lines (written on a GPU machine, with
    // --nproc-per-node for the multi-GPU rows). False with `error` naming the file and line of the first bad one;
    // nothing is added then.
    bool importResults(const QString& file, QString* error);
    // For a row measured on several ranks: "N ranks: E % scaling", E = its images/s over N times the one-rank row of
    // the same device, architecture, batch and precision; "" when there is no such row.
    static QString scalingNote(const QList<Json>& results, int row);

signals:
    void finished();

private:
    void runNext();
    void replot();
    void saveResults() const;

    QListWidget* m_devices;
    QComboBox* m_arch;
    QSpinBox *m_batch, *m_size, *m_steps;
    QCheckBox *m_fast, *m_together;
    QPushButton *m_run, *m_save, *m_import;
    QLabel* m_status;
    QCustomPlot* m_plot;
    EngineProcess* m_proc;
    QList<DeviceInfo> m_deviceList;
    QStringList m_queue;
    QList<Json> m_results;
    QString m_current;
    QByteArray m_stdout; // of the bench now running: one JSON object
};

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
// Run history: every run folder under the runs root (the app's data folder) plus folders the user attached (runs
// written by an engine started elsewhere: a GPU server, torchrun). One row a run with what a student compares runs by.
#pragma once

#include <QAbstractTableModel>
#include <QDateTime>
#include <QSet>
#include <QStringList>

namespace ms::ui
{

struct RunInfo {
    QString dir;
    QString name;
    QDateTime created;
    QString state; // running, stopped, failed, finished, ... ("" when the folder has no status yet)
    QString message;
    QString device, arch, mode, task, data;
    int epochs = 0, epochsDone = 0;
    double bestValAccuracy = -1, bestValAuc = -1, lastTrainAccuracy = -1;
    double durationS = 0;
    bool attached = false;
};

// Reads what the run folder says (config.json, status.json, metrics.jsonl); never throws, never writes.
RunInfo readRunInfo(const QString& dir);
bool isRunFolder(const QString& dir);

class RunHistoryModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Name, Date, State, Device, Arch, Mode, Task, BestAcc, BestAuc, Duration, ColumnCount };

    explicit RunHistoryModel(QObject* parent = nullptr);

    void setRoot(const QString& root);
    QString root() const { return m_root; }
    // Attached folders are remembered in QSettings.
    void attach(const QString& dir);
    void refresh();

    const RunInfo& run(int row) const { return m_runs[row]; }
    int rowOf(const QString& dir) const;
    QStringList comparedDirs() const;
    void setCompared(const QString& dir, bool on);

    // Renames the folder (runs under the root only); false and message on failure.
    bool rename(int row, const QString& newName, QString* error);
    // Deletes the folder (runs under the root) or forgets an attached one.
    bool remove(int row, QString* error);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation o, int role) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;

signals:
    void comparedChanged();

private:
    QString m_root;
    QStringList m_attached;
    QList<RunInfo> m_runs;
    QSet<QString> m_compared;
};

QString formatDuration(double seconds);

} // namespace ms::ui

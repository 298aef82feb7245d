// SPDX-License-Identifier: GPL-3.0-or-later
// Opens datasets off the GUI thread (cancellable, with progress), generates the demo dataset on first start,
// and holds the current dataset as an immutable shared object.
#pragma once

#include "core/dataset/dataset.h"

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <memory>

namespace ms::ui
{

using DatasetPtr = std::shared_ptr<const dataset::Dataset>;

class DatasetController : public QObject
{
    Q_OBJECT
public:
    explicit DatasetController(QObject* parent = nullptr);
    ~DatasetController() override;

    DatasetPtr dataset() const { return m_dataset; }
    QString root() const { return m_root; }
    bool busy() const { return m_busy; }

    // Where the demo dataset lives: <app data>/demo-cbis.
    static QString demoPath();
    static bool demoExists();

    // Crash-loop guard. Opening a dataset is remembered (QSettings) until it is shown (openFinished) or fails
    // cleanly; a dataset whose opening never finished (the app died indexing or showing it) is not reopened at the
    // next start by itself.
    static QString unfinishedOpen();
    static void openFinished();
    // What to open at start: the argument given, else the last dataset, else the demo (an empty string with *demo
    // set). When the last dataset's opening did not finish last time, nothing is opened and *notice says why (once:
    // the next start opens it again).
    static QString startupDataset(const QString& argument, const QString& last, bool wantDemo, bool* demo, QString* notice);

public slots:
    void open(const QString& path);
    // Generates the demo dataset (if absent) and opens it.
    void openDemo(int patients = 24);
    void cancel();
    // Checks that the open dataset's folder still exists; reports when it vanished.
    void checkStillThere();

signals:
    void progress(double fraction, const QString& message);
    void busyChanged(bool busy);
    void opened(ms::ui::DatasetPtr dataset);
    void failed(const QString& message);
    void vanished(const QString& root);

private:
    struct Job;
    void start(std::function<Result<dataset::Dataset>(Progress&)> work, const QString& root);

    DatasetPtr m_dataset;
    QString m_root;
    bool m_busy = false;
    std::shared_ptr<Job> m_job;
};

} // namespace ms::ui

Q_DECLARE_METATYPE(ms::ui::DatasetPtr)

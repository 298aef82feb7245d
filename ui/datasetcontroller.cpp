// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/datasetcontroller.h"

#include "core/common/paths.h"
#include "core/synthio/synthio.h"

#include <QDir>
#include <QFileInfo>
#include <QPointer>
#include <QSettings>
#include <QtConcurrent>

#include <atomic>
#include <chrono>

namespace ms::ui
{

namespace
{

// Forwards core progress to the GUI thread at most ~20 times a second.
class ForwardingProgress : public Progress
{
public:
    ForwardingProgress(DatasetController* target, std::atomic<bool>* cancel) : m_target(target), m_cancel(cancel) { }
    void report(double f, std::string_view msg) override
    {
        auto now = std::chrono::steady_clock::now();
        if (f < 1.0 && now - m_last < std::chrono::milliseconds(50))
            return;
        m_last = now;
        QPointer<DatasetController> t = m_target;
        QString m = QString::fromUtf8(msg.data(), int(msg.size()));
        QMetaObject::invokeMethod(
            m_target,
            [t, f, m] {
                if (t)
                    emit t->progress(f, m);
            },
            Qt::QueuedConnection);
    }
    bool cancelled() const override { return m_cancel->load(); }

private:
    DatasetController* m_target;
    std::atomic<bool>* m_cancel;
    std::chrono::steady_clock::time_point m_last {};
};

} // namespace

struct DatasetController::Job {
    std::atomic<bool> cancel { false };
    QFutureWatcher<Result<dataset::Dataset>> watcher;
};

DatasetController::DatasetController(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<ms::ui::DatasetPtr>();
}

DatasetController::~DatasetController()
{
    if (m_job) {
        m_job->cancel = true;
        m_job->watcher.waitForFinished();
    }
}

QString DatasetController::demoPath()
{
    return QString::fromStdString((appDataDir() / "demo-cbis").string());
}

bool DatasetController::demoExists()
{
    return QFileInfo::exists(demoPath() + QStringLiteral("/mass_case_description_train_set.csv"));
}

void DatasetController::start(std::function<Result<dataset::Dataset>(Progress&)> work, const QString& root)
{
    if (m_job) {
        m_job->cancel = true;
        m_job->watcher.disconnect(this);
    }
    auto job = std::make_shared<Job>();
    m_job = job;
    m_busy = true;
    QSettings().setValue(QStringLiteral("dataset/opening"), root);
    emit busyChanged(true);
    connect(&job->watcher, &QFutureWatcherBase::finished, this, [this, job, root] {
        if (m_job != job)
            return;
        auto result = job->watcher.result();
        m_job.reset();
        m_busy = false;
        emit busyChanged(false);
        if (!result.ok()) {
            openFinished(); // a clean failure is a finished open
            emit failed(QString::fromStdString(result.error().toString()));
            return;
        }
        m_root = root;
        m_dataset = std::make_shared<const dataset::Dataset>(std::move(result.value()));
        emit opened(m_dataset);
    });
    job->watcher.setFuture(QtConcurrent::run([this, job, work]() -> Result<dataset::Dataset> {
        ForwardingProgress p(this, &job->cancel);
        return work(p);
    }));
}

void DatasetController::open(const QString& path)
{
    const std::string p = QDir::cleanPath(path).toStdString();
    start([p](Progress& pr) { return dataset::open(p, {}, pr); }, QDir::cleanPath(path));
}

void DatasetController::openDemo(int patients)
{
    const QString root = demoPath();
    const bool exists = demoExists();
    const std::string p = root.toStdString();
    start(
        [p, exists, patients](Progress& pr) -> Result<dataset::Dataset> {
            if (!exists) {
                std::error_code ec;
                std::filesystem::remove_all(p, ec); // a half-written earlier attempt
                synthio::WriteOptions o;
                o.patients = patients;
                o.synth.seed = 2016;
                struct Scaled : Progress {
                    Progress& inner;
                    explicit Scaled(Progress& i) : inner(i) { }
                    void report(double f, std::string_view) override { inner.report(0.9 * f, "generating the demo dataset"); }
                    bool cancelled() const override { return inner.cancelled(); }
                } scaled(pr);
                auto rep = synthio::writeDataset(p, o, scaled);
                if (!rep) {
                    std::filesystem::remove_all(p, ec);
                    return rep.error();
                }
            }
            return dataset::open(p, {}, pr);
        },
        root);
}

QString DatasetController::unfinishedOpen()
{
    return QSettings().value(QStringLiteral("dataset/opening")).toString();
}

void DatasetController::openFinished()
{
    QSettings().remove(QStringLiteral("dataset/opening"));
}

QString DatasetController::startupDataset(const QString& argument, const QString& last, bool wantDemo, bool* demo, QString* notice)
{
    *demo = false;
    notice->clear();
    const QString unfinished = unfinishedOpen();
    if (!argument.isEmpty()) // asked for by name: opened, the guard or not
        return QFileInfo(argument).absoluteFilePath();
    if (wantDemo) {
        *demo = true;
        return {};
    }
    if (!unfinished.isEmpty() && (unfinished == last || (last.isEmpty() && unfinished == demoPath()))) {
        openFinished(); // once: the next start tries again
        *notice = tr("MammoScope did not finish opening %1 last time (it stopped while indexing or showing it), so it was "
                     "not opened again now. Open it from File ▸ Open dataset folder… to try again.")
                      .arg(unfinished);
        return {};
    }
    if (last.isEmpty() || !QFileInfo(last).isDir()) {
        *demo = true;
        return {};
    }
    return last;
}

void DatasetController::cancel()
{
    if (m_job)
        m_job->cancel = true;
}

void DatasetController::checkStillThere()
{
    if (!m_root.isEmpty() && !QFileInfo(m_root).isDir())
        emit vanished(m_root);
}

} // namespace ms::ui

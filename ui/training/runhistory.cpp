// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/training/runhistory.h"

#include "core/common/paths.h"
#include "core/runs/runreader.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>

#include <algorithm>

namespace ms::ui
{

QString formatDuration(double s)
{
    if (s <= 0)
        return QStringLiteral("—");
    const long t = long(s + 0.5);
    if (t < 60)
        return QStringLiteral("%1 s").arg(t);
    if (t < 3600)
        return QStringLiteral("%1 min %2 s").arg(t / 60).arg(t % 60);
    return QStringLiteral("%1 h %2 min").arg(t / 3600).arg((t % 3600) / 60);
}

bool isRunFolder(const QString& dir)
{
    const QDir d(dir);
    return d.exists(QStringLiteral("config.json")) || d.exists(QStringLiteral("metrics.jsonl")) || d.exists(QStringLiteral("status.json"));
}

RunInfo readRunInfo(const QString& dir)
{
    RunInfo r;
    r.dir = QDir(dir).absolutePath();
    r.name = QFileInfo(r.dir).fileName();
    runs::RunReader reader(r.dir.toStdString());
    reader.poll();
    const runs::RunConfig& cfg = reader.runConfig();
    const bool cv = cfg.command == "crossval";
    r.device = QString::fromStdString(cfg.deviceName);
    if (r.device.isEmpty())
        r.device = QString::fromStdString(cv ? cfg.crossval.device : cfg.train.device);
    r.arch = QString::fromStdString(cv ? "unet" : cfg.train.arch);
    r.mode = QString::fromStdString(cv ? "crossval" : cfg.train.mode);
    r.task = QString::fromStdString(cfg.task.empty() ? cfg.train.task : cfg.task);
    r.data = QString::fromStdString(cv ? cfg.crossval.data : cfg.train.data);
    r.epochs = cfg.epochs();
    r.state = QString::fromStdString(reader.state());
    r.message = QString::fromStdString(reader.status()["message"].string());
    for (const auto& e : reader.epochs()) {
        r.epochsDone = std::max(r.epochsDone, e.epoch);
        r.bestValAccuracy = std::max(r.bestValAccuracy, e.valAccuracy);
        r.bestValAuc = std::max(r.bestValAuc, e.valAuc);
        r.lastTrainAccuracy = e.trainAccuracy;
    }
    // Duration: time spent training, summed over sessions (started/resumed to the next stop, failure or finish,
    // else to the last line written).
    double start = -1, last = 0;
    for (const auto& e : reader.events()) {
        if (e.name == "started" || e.name == "resumed") {
            if (start >= 0 && last > start)
                r.durationS += last - start;
            start = e.time;
            if (!r.created.isValid())
                r.created = QDateTime::fromMSecsSinceEpoch(qint64(e.time * 1000.0));
        }
        last = std::max(last, e.time);
        if ((e.name == "stopped" || e.name == "failed" || e.name == "finished") && start >= 0) {
            r.durationS += e.time - start;
            start = -1;
        }
    }
    const double updated = reader.status()["updated"].number();
    if (start >= 0 && std::max(last, updated) > start)
        r.durationS += std::max(last, updated) - start;
    if (!r.created.isValid())
        r.created = QFileInfo(r.dir).birthTime().isValid() ? QFileInfo(r.dir).birthTime() : QFileInfo(r.dir).lastModified();
    return r;
}

RunHistoryModel::RunHistoryModel(QObject* parent) : QAbstractTableModel(parent)
{
    m_attached = QSettings().value(QStringLiteral("training/attached")).toStringList();
}

void RunHistoryModel::setRoot(const QString& root)
{
    m_root = root;
    refresh();
}

void RunHistoryModel::attach(const QString& dir)
{
    const QString abs = QDir(dir).absolutePath();
    if (!m_attached.contains(abs) && QFileInfo(abs).dir().absolutePath() != QDir(m_root).absolutePath()) {
        m_attached << abs;
        QSettings().setValue(QStringLiteral("training/attached"), m_attached);
    }
    refresh();
}

void RunHistoryModel::refresh()
{
    QList<RunInfo> runs;
    QStringList dirs;
    if (!m_root.isEmpty())
        for (const auto& fi : QDir(m_root).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot))
            if (isRunFolder(fi.absoluteFilePath()))
                dirs << fi.absoluteFilePath();
    for (const auto& a : m_attached)
        if (!dirs.contains(a) && QFileInfo(a).isDir())
            dirs << a;
    for (const auto& d : dirs) {
        RunInfo r = readRunInfo(d);
        r.attached = m_attached.contains(d);
        runs << r;
    }
    std::sort(runs.begin(), runs.end(), [](const RunInfo& a, const RunInfo& b) { return a.created > b.created; });
    beginResetModel();
    m_runs = runs;
    endResetModel();
}

int RunHistoryModel::rowOf(const QString& dir) const
{
    const QString abs = QDir(dir).absolutePath();
    for (int i = 0; i < m_runs.size(); ++i)
        if (m_runs[i].dir == abs)
            return i;
    return -1;
}

QStringList RunHistoryModel::comparedDirs() const
{
    QStringList out;
    for (const auto& r : m_runs)
        if (m_compared.contains(r.dir))
            out << r.dir;
    return out;
}

void RunHistoryModel::setCompared(const QString& dir, bool on)
{
    const QString abs = QDir(dir).absolutePath();
    if (on == m_compared.contains(abs))
        return;
    if (on)
        m_compared.insert(abs);
    else
        m_compared.remove(abs);
    if (const int row = rowOf(abs); row >= 0)
        emit dataChanged(index(row, Name), index(row, Name), { Qt::CheckStateRole });
    emit comparedChanged();
}

bool RunHistoryModel::rename(int row, const QString& newName, QString* error)
{
    const RunInfo& r = m_runs[row];
    if (r.attached) {
        *error = tr("%1 was attached from elsewhere; rename it where it lives").arg(r.dir);
        return false;
    }
    if (newName.isEmpty() || newName.contains(QLatin1Char('/')) || newName.startsWith(QLatin1Char('.'))) {
        *error = tr("'%1' is not a valid folder name").arg(newName);
        return false;
    }
    if (r.state == QLatin1String("running")) {
        *error = tr("%1 is running; stop it first").arg(r.name);
        return false;
    }
    const QString target = QFileInfo(r.dir).dir().absoluteFilePath(newName);
    if (QFileInfo::exists(target)) {
        *error = tr("%1 already exists").arg(target);
        return false;
    }
    if (!QDir().rename(r.dir, target)) {
        *error = tr("could not rename %1 to %2").arg(r.dir, newName);
        return false;
    }
    const bool cmp = m_compared.remove(r.dir);
    if (cmp)
        m_compared.insert(target);
    refresh();
    return true;
}

bool RunHistoryModel::remove(int row, QString* error)
{
    const RunInfo r = m_runs[row];
    if (r.attached) {
        m_attached.removeAll(r.dir);
        QSettings().setValue(QStringLiteral("training/attached"), m_attached);
    } else {
        if (r.state == QLatin1String("running")) {
            *error = tr("%1 is running; stop it first").arg(r.name);
            return false;
        }
        if (!removeTree(r.dir.toStdString())) {
            *error = tr("could not delete %1").arg(r.dir);
            return false;
        }
    }
    m_compared.remove(r.dir);
    refresh();
    emit comparedChanged();
    return true;
}

int RunHistoryModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_runs.size());
}

int RunHistoryModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunHistoryModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_runs.size())
        return {};
    const RunInfo& r = m_runs[index.row()];
    const auto pct = [](double v) { return v < 0 ? QStringLiteral("—") : QString::number(v, 'f', 3); };
    if (role == Qt::CheckStateRole && index.column() == Name)
        return m_compared.contains(r.dir) ? Qt::Checked : Qt::Unchecked;
    if (role == Qt::ToolTipRole)
        return r.dir + (r.message.isEmpty() ? QString() : QStringLiteral("\n") + r.message);
    if (role == Qt::UserRole)
        return r.dir;
    if (role == Qt::UserRole + 1) { // sort keys
        switch (index.column()) {
        case Date:
            return r.created;
        case BestAcc:
            return r.bestValAccuracy;
        case BestAuc:
            return r.bestValAuc;
        case Duration:
            return r.durationS;
        default:
            return data(index, Qt::DisplayRole);
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Name:
        return r.attached ? r.name + tr(" (attached)") : r.name;
    case Date:
        return r.created.toString(QStringLiteral("yyyy-MM-dd HH:mm"));
    case State:
        return r.state.isEmpty() ? tr("preparing")
            : r.epochs           ? QStringLiteral("%1 (%2/%3)").arg(r.state).arg(r.epochsDone).arg(r.epochs)
                                 : r.state;
    case Device:
        return r.device;
    case Arch:
        return r.arch;
    case Mode:
        return r.mode == QLatin1String("feature-extraction") ? tr("feature extraction")
            : r.mode == QLatin1String("finetune")            ? tr("fine-tuning")
                                                             : r.mode;
    case Task:
        return r.task;
    case BestAcc:
        return pct(r.bestValAccuracy);
    case BestAuc:
        return pct(r.bestValAuc);
    case Duration:
        return formatDuration(r.durationS);
    default:
        return {};
    }
}

QVariant RunHistoryModel::headerData(int section, Qt::Orientation o, int role) const
{
    if (o != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* names[]
        = { "Run", "Started", "State", "Device", "Architecture", "Mode", "Task", "Best val acc", "Best val AUC", "Duration" };
    return tr(names[section]);
}

Qt::ItemFlags RunHistoryModel::flags(const QModelIndex& index) const
{
    auto f = QAbstractTableModel::flags(index);
    if (index.column() == Name)
        f |= Qt::ItemIsUserCheckable;
    return f;
}

bool RunHistoryModel::setData(const QModelIndex& index, const QVariant& value, int role)
{
    if (role != Qt::CheckStateRole || index.column() != Name)
        return false;
    setCompared(m_runs[index.row()].dir, value.toInt() == Qt::Checked);
    return true;
}

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/curation/curation.h"

#include "core/annotations/effective.h"
#include "core/annotations/vocabulary.h"

#include <QSettings>
#include <QUndoGroup>
#include <QUndoStack>

namespace ms::ui
{

using annotations::Change;

namespace
{

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

QString shortKey(const std::string& key)
{
    auto pos = key.rfind('#');
    return pos == std::string::npos ? q(key) : q(key.substr(pos));
}

} // namespace

CurationController::CurationController(QObject* parent) : QObject(parent), m_group(new QUndoGroup(this))
{
}

CurationController::~CurationController() = default;

QString CurationController::reviewer()
{
    QString r = QSettings().value(QStringLiteral("curation/reviewer")).toString();
    if (r.isEmpty())
        r = qEnvironmentVariable("USER", QStringLiteral("curator"));
    return r;
}

void CurationController::setReviewer(const QString& name)
{
    QSettings().setValue(QStringLiteral("curation/reviewer"), name.trimmed());
}

void CurationController::setDataset(DatasetPtr original)
{
    for (auto* s : std::as_const(m_stacks))
        delete s;
    m_stacks.clear();
    m_activeImage = -1;
    m_original = std::move(original);
    m_store.reset();
    m_storeProblem.clear();
    m_storeDamaged = false;
    if (!m_original)
        return;
    QString file = qEnvironmentVariable("MAMMOSCOPE_ANNOTATIONS");
    std::filesystem::path path
        = file.isEmpty() ? annotations::Store::defaultPath(m_original->root) : std::filesystem::path(file.toStdString());
    annotations::Store::Options o;
    o.datasetRoot = m_original->root;
    auto st = annotations::Store::open(path, o);
    if (st) {
        if (auto snap = (*st)->readSnapshot(); !snap) {
            // A damaged store is neither shown as "no corrections" nor written to.
            m_storeProblem = tr("Corrections are off: the annotation store is damaged: %1").arg(q(snap.error().toString()));
            m_storeDamaged = true;
            emit storeOpened(q(path.string()), false, m_storeProblem);
            QVector<int> all;
            for (int i = 0; i < int(m_original->images.size()); ++i)
                all << i;
            rebuild(all);
            return;
        }
        m_store = std::move(*st);
        if (!m_store->adoptedFrom().empty())
            emit failed(tr("The corrections of %1 (folder gone) now belong to %2.").arg(q(m_store->adoptedFrom()), q(m_original->root)));
        if (!m_store->writable())
            m_storeProblem = tr("The annotation store %1 is read-only (%2): corrections cannot be saved.")
                                 .arg(q(path.string()), q(m_store->readOnlyReason()));
    } else {
        m_storeProblem = tr("Corrections are off: %1").arg(q(st.error().toString()));
    }
    emit storeOpened(q(path.string()), writable(), m_storeProblem);
    QVector<int> all;
    for (int i = 0; i < int(m_original->images.size()); ++i)
        all << i;
    rebuild(all);
}

void CurationController::rebuild(const QVector<int>& touched)
{
    if (!m_original)
        return;
    annotations::Snapshot snap = m_store ? m_store->snapshot() : annotations::Snapshot {};
    m_effective = std::make_shared<const dataset::Dataset>(annotations::effective(*m_original, snap));
    emit effectiveChanged(m_effective, touched);
}

QUndoStack* CurationController::stackFor(int imageIndex)
{
    if (!m_effective || imageIndex < 0 || imageIndex >= int(m_effective->images.size()))
        return nullptr;
    const QString key = q(m_effective->images[size_t(imageIndex)].key);
    auto it = m_stacks.find(key);
    if (it != m_stacks.end())
        return *it;
    auto* s = new QUndoStack(m_group);
    m_stacks.insert(key, s);
    return s;
}

void CurationController::setActiveImage(int imageIndex)
{
    m_activeImage = imageIndex;
    if (auto* s = stackFor(imageIndex))
        m_group->setActiveStack(s);
}

std::string CurationController::originalValue(const std::string& item, const std::string& field) const
{
    if (!m_original)
        return {};
    if (field == "review")
        return "unreviewed";
    if (annotations::isImageField(field))
        return {};
    std::string imageKey;
    int number = 0;
    if (!annotations::parseAbnormalityKey(item, imageKey, number))
        return {};
    for (const auto& a : m_original->abnormalities)
        if (a.number == number && a.image >= 0 && m_original->images[size_t(a.image)].key == imageKey)
            return annotations::fieldValue(a, field);
    return {};
}

int CurationController::imageOfItem(const std::string& item) const
{
    if (!m_effective)
        return -1;
    std::string imageKey = item;
    int number = 0;
    if (!annotations::parseAbnormalityKey(item, imageKey, number))
        imageKey = item;
    for (const auto& im : m_effective->images)
        if (im.key == imageKey)
            return im.index;
    return -1;
}

bool CurationController::apply(const std::vector<Change>& changes, annotations::Source source)
{
    if (!m_store) {
        emit failed(m_storeProblem.isEmpty() ? tr("No annotation store is open.") : m_storeProblem);
        return false;
    }
    std::vector<Change> full = changes;
    QVector<int> touched;
    for (auto& c : full) {
        c.original = originalValue(c.item, c.field);
        int im = imageOfItem(c.item);
        if (im >= 0 && !touched.contains(im))
            touched << im;
    }
    m_store->setUser(reviewer().toStdString());
    if (auto st = m_store->apply(full, source); !st) {
        emit failed(q(st.error().toString()));
        return false;
    }
    rebuild(touched);
    return true;
}

void CurationController::checkExternalChanges()
{
    if (!m_store || !m_store->changedElsewhere())
        return;
    for (auto* s : std::as_const(m_stacks))
        s->clear();
    QVector<int> all;
    for (int i = 0; m_original && i < int(m_original->images.size()); ++i)
        all << i;
    rebuild(all);
    emit changedElsewhere();
}

void CurationController::push(QUndoCommand* cmd, int imageIndex)
{
    QUndoStack* s = stackFor(imageIndex);
    if (!s) {
        delete cmd;
        return;
    }
    s->push(cmd); // runs redo(); a command whose change the store refused is obsolete and dropped by the stack
}

bool CurationController::setAttribute(const QString& key, const QString& field, const QString& value)
{
    const std::string item = key.toStdString(), f = field.toStdString(), v = value.trimmed().toStdString();
    if (auto st = annotations::validate(f, v); !st) {
        emit failed(q(st.error().message));
        return false;
    }
    if (!m_store) {
        emit failed(m_storeProblem);
        return false;
    }
    const auto current = m_store->value(item, f);
    const std::string original = originalValue(item, f);
    std::optional<std::string> next = v;
    if (v == original && !current.value_or("").empty() && m_effective) {
        // back to the dataset's value: drop the override (added abnormalities keep theirs: they have no original)
        bool added = false;
        for (const auto& a : m_effective->abnormalities)
            if (a.key == item)
                added = a.added;
        if (!added)
            next = std::nullopt;
    }
    if (current == next || (!current && v == original))
        return true;
    const auto* info = annotations::fieldInfo(f);
    const QString label = info ? q(info->label) : field;
    const QString from = q(current.value_or(original));
    auto* cmd = new ChangeCommand(this, { { item, f, next, {} } }, { { item, f, current, {} } },
        tr("%1 of %2: %3 → %4").arg(label, shortKey(item), from.isEmpty() ? tr("(none)") : from, value.trimmed()), true);
    const long long before = m_store->auditCount();
    push(cmd, imageOfItem(item));
    return m_store->auditCount() != before;
}

bool CurationController::revertAbnormality(const QString& key)
{
    if (!m_store)
        return false;
    const std::string item = key.toStdString();
    annotations::Snapshot snap = m_store->snapshot();
    auto it = snap.items.find(item);
    if (it == snap.items.end())
        return false;
    std::vector<Change> fwd, back;
    for (const auto& [field, value] : it->second) {
        if (field == "added" || field == "deleted")
            continue;
        fwd.push_back({ item, field, std::nullopt, {} });
        back.push_back({ item, field, value, {} });
    }
    if (fwd.empty())
        return false;
    const long long before = m_store->auditCount();
    push(new ChangeCommand(this, fwd, back, tr("Revert %1 to the dataset's values").arg(shortKey(item)), false), imageOfItem(item));
    return m_store->auditCount() != before;
}

bool CurationController::setRoi(const QString& key, const RleMask& mask, const QString& text)
{
    if (!m_store) {
        emit failed(m_storeProblem);
        return false;
    }
    const std::string item = key.toStdString();
    if (mask.empty()) {
        emit failed(tr("The ROI would be empty; delete the abnormality instead."));
        return false;
    }
    const auto current = m_store->value(item, "roi");
    const std::string next = mask.toString();
    if (current == next)
        return true;
    const long long before = m_store->auditCount();
    push(new ChangeCommand(this, { { item, "roi", next, {} } }, { { item, "roi", current, {} } },
             text + QStringLiteral(" (") + shortKey(item) + ")", false),
        imageOfItem(item));
    return m_store->auditCount() != before;
}

QString CurationController::addAbnormality(
    int imageIndex, const QString& type, const RleMask* roi, const QString& pathology, annotations::Source source)
{
    if (!m_store || !m_effective || imageIndex < 0 || imageIndex >= int(m_effective->images.size())) {
        emit failed(m_storeProblem.isEmpty() ? tr("No image to add an abnormality to.") : m_storeProblem);
        return {};
    }
    const auto& im = m_effective->images[size_t(imageIndex)];
    const int number = annotations::nextAbnormalityNumber(*m_effective, m_store->snapshot(), imageIndex);
    const std::string item = annotations::abnormalityKey(im.key, number);
    std::vector<Change> fwd { { item, "added", im.key, {} }, { item, "type", type.toStdString(), {} },
        { item, "pathology", pathology.toStdString(), {} }, { item, "assessment", std::string("0"), {} },
        { item, "subtlety", std::string("3"), {} } };
    if (im.density > 0)
        fwd.push_back({ item, "density", std::to_string(im.density), {} });
    if (roi && !roi->empty())
        fwd.push_back({ item, "roi", roi->toString(), {} });
    std::vector<Change> back;
    for (const auto& c : fwd)
        back.push_back({ c.item, c.field, std::nullopt, {} });
    const long long before = m_store->auditCount();
    push(new ChangeCommand(this, fwd, back,
             source == annotations::Source::Model ? tr("Add %1 #%2 from the heatmap").arg(type).arg(number)
                                                  : tr("Add %1 #%2").arg(type).arg(number),
             false, source),
        imageIndex);
    return m_store->auditCount() != before ? q(item) : QString();
}

bool CurationController::deleteAbnormality(const QString& key)
{
    if (!m_store)
        return false;
    const std::string item = key.toStdString();
    const long long before = m_store->auditCount();
    const int image = imageOfItem(item);
    push(new ChangeCommand(this, { { item, "deleted", std::string("1"), {} } }, { { item, "deleted", std::nullopt, {} } },
             tr("Delete abnormality %1").arg(shortKey(item)), false),
        image);
    return m_store->auditCount() != before;
}

bool CurationController::setReview(int imageIndex, const QString& status, const QString& comment)
{
    if (!m_store || !m_effective || imageIndex < 0 || imageIndex >= int(m_effective->images.size()))
        return false;
    const std::string item = m_effective->images[size_t(imageIndex)].key;
    std::vector<Change> fwd, back;
    const auto curStatus = m_store->value(item, "review");
    std::optional<std::string> nextStatus
        = status == QLatin1String("unreviewed") ? std::nullopt : std::optional<std::string>(status.toStdString());
    if (curStatus != nextStatus) {
        fwd.push_back({ item, "review", nextStatus, {} });
        back.push_back({ item, "review", curStatus, {} });
    }
    const auto curComment = m_store->value(item, "review_comment");
    std::optional<std::string> nextComment
        = comment.trimmed().isEmpty() ? std::nullopt : std::optional<std::string>(comment.trimmed().toStdString());
    if (curComment != nextComment) {
        fwd.push_back({ item, "review_comment", nextComment, {} });
        back.push_back({ item, "review_comment", curComment, {} });
    }
    if (fwd.empty())
        return true;
    const long long before = m_store->auditCount();
    push(new ChangeCommand(this, fwd, back, tr("Mark %1 %2").arg(q(item), status), false), imageIndex);
    return m_store->auditCount() != before;
}

ChangeCommand::ChangeCommand(CurationController* c, std::vector<Change> forward, std::vector<Change> backward, const QString& text,
    bool mergeable, annotations::Source source)
    : m_c(c), m_forward(std::move(forward)), m_backward(std::move(backward)), m_mergeable(mergeable), m_source(source)
{
    setText(text);
}

void ChangeCommand::redo()
{
    if (!m_c->apply(m_forward, m_done ? annotations::Source::Human : m_source))
        setObsolete(true);
    m_done = true;
}

void ChangeCommand::undo()
{
    if (!m_c->apply(m_backward))
        setObsolete(true);
}

bool ChangeCommand::mergeWith(const QUndoCommand* other)
{
    auto* o = dynamic_cast<const ChangeCommand*>(other);
    if (!o || !m_mergeable || !o->m_mergeable || m_forward.size() != 1 || o->m_forward.size() != 1)
        return false;
    if (m_forward[0].item != o->m_forward[0].item || m_forward[0].field != o->m_forward[0].field)
        return false;
    m_forward = o->m_forward;
    const QString mine = text(), theirs = o->text();
    const int a = mine.lastIndexOf(QStringLiteral("→")), b = theirs.lastIndexOf(QStringLiteral("→"));
    setText(a >= 0 && b >= 0 ? mine.left(a) + theirs.mid(b) : theirs);
    if (m_forward[0].value == m_backward[0].value)
        setObsolete(true); // edited back to where it started: nothing to undo
    return true;
}

} // namespace ms::ui

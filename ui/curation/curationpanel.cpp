// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/curation/curationpanel.h"

#include "core/annotations/effective.h"
#include "core/annotations/vocabulary.h"
#include "ui/curation/curation.h"

#include <QAction>
#include <QButtonGroup>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QToolButton>
#include <QUndoGroup>
#include <QUndoView>
#include <QVBoxLayout>

namespace ms::ui
{

namespace
{

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

QColor statusColor(const std::string& s)
{
    if (s == "reviewed")
        return QColor(110, 200, 130);
    if (s == "corrected")
        return QColor(120, 170, 240);
    if (s == "flagged")
        return QColor(240, 170, 60);
    return QColor(170, 170, 170);
}

// True when a curator changed anything on this image (attributes, ROIs, added or deleted abnormalities).
bool imageCorrected(const dataset::Dataset& eff, const annotations::Store* store, int imageIndex)
{
    const auto& im = eff.images[size_t(imageIndex)];
    for (int ai : im.abnormalities) {
        const auto& a = eff.abnormalities[size_t(ai)];
        if (a.added || !a.corrected.empty())
            return true;
    }
    if (store) {
        const std::string prefix = im.key + "#";
        for (const auto& [item, fields] : store->snapshot().items)
            if (item.rfind(prefix, 0) == 0 && fields.count("deleted"))
                return true;
    }
    return false;
}

} // namespace

CurationPanel::CurationPanel(CurationController* curation, RoiEditor* editor, QWidget* parent)
    : QWidget(parent), m_c(curation), m_editor(editor)
{
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(6, 6, 6, 6);
    m_storeLabel = new QLabel(this);
    m_storeLabel->setObjectName(QStringLiteral("storeLabel"));
    m_storeLabel->setWordWrap(true);
    lay->addWidget(m_storeLabel);

    // Review of the current image.
    m_imageLabel = new QLabel(this);
    m_imageLabel->setObjectName(QStringLiteral("reviewImage"));
    m_imageLabel->setTextFormat(Qt::RichText);
    lay->addWidget(m_imageLabel);
    m_comment = new QLineEdit(this);
    m_comment->setObjectName(QStringLiteral("reviewComment"));
    m_comment->setPlaceholderText(tr("Comment (saved with Flag or Accept)"));
    lay->addWidget(m_comment);
    auto* buttons = new QHBoxLayout;
    auto mkButton = [&](const QString& text, const QString& tip, auto slot) {
        auto* b = new QPushButton(text, this);
        b->setToolTip(tip);
        connect(b, &QPushButton::clicked, this, slot);
        buttons->addWidget(b);
        return b;
    };
    mkButton(tr("Accept"), tr("Mark reviewed (corrected when you changed something) and go to the next unreviewed image (Y)"),
        &CurationPanel::accept);
    mkButton(tr("Flag"), tr("Flag for a second look, with the comment, and go on (X)"), &CurationPanel::flag);
    mkButton(tr("Next"), tr("Next unreviewed image (N)"), &CurationPanel::nextUnreviewed);
    lay->addLayout(buttons);
    auto* prog = new QHBoxLayout;
    m_progress = new QProgressBar(this);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(8);
    m_progressText = new QLabel(this);
    m_progressText->setObjectName(QStringLiteral("reviewProgress"));
    prog->addWidget(m_progressText);
    prog->addWidget(m_progress, 1);
    lay->addLayout(prog);

    auto* tabs = new QTabWidget(this);
    tabs->setDocumentMode(true);
    lay->addWidget(tabs, 1);

    // Labels and ROI.
    auto* edit = new QWidget(tabs);
    auto* el = new QVBoxLayout(edit);
    el->setContentsMargins(0, 6, 0, 0);
    auto* abRow = new QHBoxLayout;
    m_abnormality = new QComboBox(edit);
    m_abnormality->setObjectName(QStringLiteral("abnormalityCombo"));
    m_abnormality->setToolTip(tr("The abnormality the editors and ROI tools change; \"New\" adds one with the first stroke"));
    abRow->addWidget(m_abnormality, 1);
    connect(m_abnormality, &QComboBox::activated, this, &CurationPanel::onAbnormalityChosen);
    m_newType = new QComboBox(edit);
    m_newType->addItems({ QStringLiteral("mass"), QStringLiteral("calcification") });
    m_newType->setToolTip(tr("Type of a new abnormality"));
    connect(m_newType, &QComboBox::currentTextChanged, m_editor, &RoiEditor::setNewType);
    abRow->addWidget(m_newType);
    el->addLayout(abRow);
    auto* abButtons = new QHBoxLayout;
    auto* add = new QPushButton(tr("Add"), edit);
    add->setToolTip(tr("Add a missed lesion: choose a tool and draw its ROI"));
    connect(add, &QPushButton::clicked, this, &CurationPanel::addAbnormality);
    auto* del = new QPushButton(tr("Delete"), edit);
    del->setToolTip(tr("Remove this abnormality from the corrected dataset (Del); undo brings it back"));
    connect(del, &QPushButton::clicked, this, &CurationPanel::deleteAbnormality);
    auto* revert = new QPushButton(tr("Revert"), edit);
    revert->setToolTip(tr("Back to the dataset's own values and ROI for this abnormality"));
    connect(revert, &QPushButton::clicked, this, [this] {
        if (!m_key.isEmpty())
            m_c->revertAbnormality(m_key);
    });
    abButtons->addWidget(add);
    abButtons->addWidget(del);
    abButtons->addWidget(revert);
    el->addLayout(abButtons);

    m_form = new QFormLayout;
    m_form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    for (const auto& f : annotations::attributeFields()) {
        const QString name = q(f.name);
        auto* combo = new QComboBox(edit);
        combo->setObjectName(QStringLiteral("edit_") + name);
        combo->setEditable(true); // typed values are validated (an assessment of 7 is refused with a message)
        combo->setInsertPolicy(QComboBox::NoInsert);
        if (f.vocabulary.empty()) {
            for (int v = f.min; v <= f.max; ++v)
                combo->addItem(QString::number(v));
        } else {
            for (const auto& v : f.vocabulary)
                combo->addItem(q(v));
        }
        connect(combo, &QComboBox::activated, this, [this, name] { commitField(name); });
        connect(combo->lineEdit(), &QLineEdit::editingFinished, this, [this, name] { commitField(name); });
        auto* badge = new QLabel(edit);
        badge->setObjectName(QStringLiteral("badge_") + name);
        badge->setFixedWidth(16);
        auto* row = new QHBoxLayout;
        row->addWidget(combo, 1);
        row->addWidget(badge);
        m_rows.insert(name, m_form->rowCount());
        m_form->addRow(q(f.label), row);
        m_editors.insert(name, combo);
        m_badges.insert(name, badge);
    }
    el->addLayout(m_form);
    m_error = new QLabel(edit);
    m_error->setObjectName(QStringLiteral("curationError"));
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #f07060;"));
    el->addWidget(m_error);

    auto* toolRow = new QHBoxLayout;
    auto* group = new QButtonGroup(this);
    group->setExclusive(false);
    struct ToolDef {
        RoiEditor::Tool tool;
        QString text, key, tip;
    };
    const ToolDef defs[] = {
        { RoiEditor::Tool::Brush, tr("Brush"), QStringLiteral("B"), tr("Paint the ROI (B); a stroke is one undo step") },
        { RoiEditor::Tool::Eraser, tr("Eraser"), QStringLiteral("E"), tr("Erase from the ROI (E)") },
        { RoiEditor::Tool::Polygon, tr("Polygon"), QStringLiteral("P"),
            tr("Click points, double-click or Enter to add the polygon (Shift: cut it out); Backspace removes a point (P)") },
        { RoiEditor::Tool::Ellipse, tr("Ellipse"), QStringLiteral("G"), tr("Drag an ellipse to add (Shift: cut out) (G)") },
    };
    for (const auto& d : defs) {
        auto* b = new QToolButton(edit);
        b->setText(d.text);
        b->setCheckable(true);
        b->setStyleSheet(QStringLiteral("QToolButton:checked { background: #2f6db5; color: white; border-radius: 3px; }"));
        b->setToolTip(d.tip);
        b->setObjectName(QStringLiteral("tool_") + d.text.toLower());
        m_tools.insert(int(d.tool), b);
        toolRow->addWidget(b);
        const RoiEditor::Tool t = d.tool;
        connect(b, &QToolButton::clicked, this, [this, t](bool on) { m_editor->setTool(on ? t : RoiEditor::Tool::None); });
        auto* act = new QAction(d.text + tr(" tool"), this);
        act->setShortcut(QKeySequence(d.key));
        connect(act, &QAction::triggered, this, [this, t] { m_editor->setTool(m_editor->tool() == t ? RoiEditor::Tool::None : t); });
        m_actions << act;
    }
    connect(m_editor, &RoiEditor::toolChanged, this, [this](RoiEditor::Tool t) {
        for (auto it = m_tools.begin(); it != m_tools.end(); ++it)
            it.value()->setChecked(it.key() == int(t));
    });
    el->addLayout(toolRow);
    auto* toolRow2 = new QHBoxLayout;
    toolRow2->addWidget(new QLabel(tr("Brush"), edit));
    m_brush = new QSpinBox(edit);
    m_brush->setRange(1, 400);
    m_brush->setValue(m_editor->brushRadius());
    m_brush->setSuffix(tr(" px"));
    m_brush->setToolTip(tr("Brush radius in image pixels"));
    connect(m_brush, &QSpinBox::valueChanged, m_editor, &RoiEditor::setBrushRadius);
    toolRow2->addWidget(m_brush);
    auto* fill = new QPushButton(tr("Fill holes"), edit);
    connect(fill, &QPushButton::clicked, m_editor, &RoiEditor::fillHoles);
    toolRow2->addWidget(fill);
    toolRow2->addStretch(1);
    el->addLayout(toolRow2);
    el->addStretch(1);
    tabs->addTab(edit, tr("Labels && ROI"));

    // Queue.
    auto* qw = new QWidget(tabs);
    auto* ql = new QVBoxLayout(qw);
    ql->setContentsMargins(0, 6, 0, 0);
    m_queueFilter = new QComboBox(qw);
    m_queueFilter->addItems(
        { tr("Unreviewed first"), tr("Unreviewed"), tr("Flagged"), tr("Corrected"), tr("Reviewed"), tr("With abnormalities") });
    connect(m_queueFilter, &QComboBox::currentIndexChanged, this, &CurationPanel::fillQueue);
    ql->addWidget(m_queueFilter);
    m_queue = new QListWidget(qw);
    m_queue->setObjectName(QStringLiteral("reviewQueue"));
    connect(m_queue, &QListWidget::itemActivated, this,
        [this](QListWidgetItem* it) { emit showImageRequested(it->data(Qt::UserRole).toInt()); });
    connect(
        m_queue, &QListWidget::itemClicked, this, [this](QListWidgetItem* it) { emit showImageRequested(it->data(Qt::UserRole).toInt()); });
    ql->addWidget(m_queue, 1);
    tabs->addTab(qw, tr("Queue"));

    // History: undo steps of this image, and its audit log.
    auto* hw = new QWidget(tabs);
    auto* hl = new QVBoxLayout(hw);
    hl->setContentsMargins(0, 6, 0, 0);
    auto* undoView = new QUndoView(m_c->undoGroup(), hw);
    undoView->setEmptyLabel(tr("<opened>"));
    hl->addWidget(new QLabel(tr("Undo history of this image (click a step to go back to it):"), hw));
    hl->addWidget(undoView, 1);
    hl->addWidget(new QLabel(tr("Audit log of this image:"), hw));
    m_audit = new QTableWidget(hw);
    m_audit->setObjectName(QStringLiteral("auditTable"));
    m_audit->setColumnCount(6);
    m_audit->setHorizontalHeaderLabels({ tr("Time (UTC)"), tr("Item"), tr("Field"), tr("Change"), tr("User"), tr("Source") });
    m_audit->setWordWrap(false);
    m_audit->horizontalHeader()->setStretchLastSection(true);
    m_audit->verticalHeader()->hide();
    m_audit->setEditTriggers(QAbstractItemView::NoEditTriggers);
    hl->addWidget(m_audit, 2);
    tabs->addTab(hw, tr("History"));

    // Review keys.
    auto addAction = [this](const QString& text, const QKeySequence& key, auto slot) {
        auto* a = new QAction(text, this);
        a->setShortcut(key);
        connect(a, &QAction::triggered, this, slot);
        m_actions.prepend(a);
    };
    addAction(tr("Delete abnormality"), QKeySequence::Delete, &CurationPanel::deleteAbnormality);
    addAction(tr("Next unreviewed image"), QKeySequence(QStringLiteral("N")), &CurationPanel::nextUnreviewed);
    addAction(tr("Flag and next"), QKeySequence(QStringLiteral("X")), &CurationPanel::flag);
    addAction(tr("Accept and next"), QKeySequence(QStringLiteral("Y")), &CurationPanel::accept);

    connect(m_c, &CurationController::effectiveChanged, this, [this] { refresh(); });
    connect(m_c, &CurationController::failed, this, [this](const QString& m) { m_error->setText(m); });
    connect(m_c, &CurationController::storeOpened, this, [this](const QString& path, bool writable, const QString& problem) {
        if (writable)
            m_storeLabel->setText(
                tr("<small>Corrections are saved to %1 (the dataset folder is never written).</small>").arg(path.toHtmlEscaped()));
        else
            m_storeLabel->setText(QStringLiteral("<span style='color:#f07060'>%1</span>").arg(problem.toHtmlEscaped()));
    });
    connect(m_editor, &RoiEditor::targetCreated, this, [this](const QString& key) {
        m_key = key;
        fillEditors();
    });
    connect(m_editor, &RoiEditor::message, m_error, &QLabel::setText);
}

QString CurationPanel::currentKey() const
{
    return m_key;
}

void CurationPanel::showImage(int imageIndex)
{
    if (imageIndex != m_image) {
        m_image = imageIndex;
        m_key.clear();
        m_error->clear();
        auto ds = m_c->effective();
        if (ds && imageIndex >= 0 && imageIndex < int(ds->images.size()) && !ds->images[size_t(imageIndex)].abnormalities.empty())
            m_key = q(ds->abnormalities[size_t(ds->images[size_t(imageIndex)].abnormalities.front())].key);
        m_comment->setText(
            ds && imageIndex >= 0 && imageIndex < int(ds->images.size()) ? q(ds->images[size_t(imageIndex)].reviewComment) : QString());
    }
    m_c->setActiveImage(imageIndex);
    m_editor->setTarget(m_image, m_key);
    fillImage();
    fillEditors();
    fillAudit();
}

void CurationPanel::selectAbnormality(int abnormalityIndex)
{
    auto ds = m_c->effective();
    if (!ds || abnormalityIndex < 0 || abnormalityIndex >= int(ds->abnormalities.size()))
        return;
    const auto& a = ds->abnormalities[size_t(abnormalityIndex)];
    if (a.image != m_image)
        showImage(a.image);
    m_key = q(a.key);
    m_editor->setTarget(m_image, m_key);
    fillEditors();
}

void CurationPanel::refresh()
{
    auto ds = m_c->effective();
    if (!ds)
        return;
    if (m_image >= int(ds->images.size()))
        m_image = -1;
    // The edited abnormality may have been deleted (or un-added by an undo).
    if (!m_key.isEmpty()) {
        bool found = false;
        for (const auto& a : ds->abnormalities)
            found = found || q(a.key) == m_key;
        if (!found) {
            m_key.clear();
            if (m_image >= 0 && !ds->images[size_t(m_image)].abnormalities.empty())
                m_key = q(ds->abnormalities[size_t(ds->images[size_t(m_image)].abnormalities.front())].key);
        }
    }
    m_editor->setTarget(m_image, m_key);
    fillImage();
    fillEditors();
    fillQueue();
    fillAudit();
}

void CurationPanel::fillImage()
{
    auto ds = m_c->effective();
    if (!ds)
        return;
    auto p = annotations::reviewProgress(*ds);
    m_progress->setRange(0, std::max(1, p.total));
    m_progress->setValue(p.done());
    m_progressText->setText(tr("%1 of %2 reviewed (%3 corrected, %4 flagged)").arg(p.done()).arg(p.total).arg(p.corrected).arg(p.flagged));
    if (m_image < 0 || m_image >= int(ds->images.size())) {
        m_imageLabel->setText(tr("No image selected"));
        return;
    }
    const auto& im = ds->images[size_t(m_image)];
    m_imageLabel->setText(QStringLiteral("<b>%1</b> — <span style='color:%2'>%3</span>")
                              .arg(q(im.key).toHtmlEscaped(), statusColor(im.review).name(), q(im.review)));
}

void CurationPanel::fillEditors()
{
    auto ds = m_c->effective();
    m_filling = true;
    m_abnormality->clear();
    const dataset::Abnormality* cur = nullptr;
    if (ds && m_image >= 0 && m_image < int(ds->images.size())) {
        for (int ai : ds->images[size_t(m_image)].abnormalities) {
            const auto& a = ds->abnormalities[size_t(ai)];
            QString text = tr("#%1 %2 %3").arg(a.number).arg(q(a.type), q(a.pathology));
            if (a.added)
                text += tr(" (added)");
            else if (!a.corrected.empty())
                text += QStringLiteral(" ✎");
            m_abnormality->addItem(text, q(a.key));
            if (q(a.key) == m_key)
                cur = &a;
        }
    }
    m_abnormality->addItem(tr("New abnormality (draw its ROI)"), QString());
    m_abnormality->setCurrentIndex(m_abnormality->findData(m_key));
    for (const auto& f : annotations::attributeFields()) {
        const QString name = q(f.name);
        QComboBox* combo = m_editors.value(name);
        QLabel* badge = m_badges.value(name);
        const bool applies = f.appliesTo.empty() || (cur && cur->type == f.appliesTo) || (!cur && f.appliesTo == "mass");
        combo->setEnabled(cur != nullptr && m_c->writable());
        m_form->setRowVisible(m_rows.value(name), applies);
        const QString value = cur ? q(annotations::fieldValue(*cur, f.name)) : QString();
        combo->setEditText(value);
        QString original;
        bool corrected = false;
        if (cur)
            for (const auto& [field, orig] : cur->corrected)
                if (field == f.name) {
                    corrected = true;
                    original = q(orig);
                }
        badge->setText(corrected ? QStringLiteral("✎") : QString());
        badge->setStyleSheet(corrected ? QStringLiteral("color: #f0b040; font-weight: bold;") : QString());
        const QString tip
            = corrected ? tr("Corrected. The dataset says: %1").arg(original.isEmpty() ? tr("(empty)") : original) : QString();
        badge->setToolTip(tip);
        combo->setToolTip(tip);
    }
    m_filling = false;
}

void CurationPanel::fillQueue()
{
    auto ds = m_c->effective();
    m_queue->clear();
    if (!ds)
        return;
    const int mode = m_queueFilter->currentIndex();
    std::vector<int> order;
    for (const auto& im : ds->images) {
        bool keep = true;
        switch (mode) {
        case 1:
            keep = im.review == "unreviewed";
            break;
        case 2:
            keep = im.review == "flagged";
            break;
        case 3:
            keep = im.review == "corrected";
            break;
        case 4:
            keep = im.review == "reviewed";
            break;
        case 5:
            keep = !im.abnormalities.empty();
            break;
        default:
            break;
        }
        if (keep)
            order.push_back(im.index);
    }
    if (mode == 0)
        std::stable_sort(order.begin(), order.end(),
            [&](int a, int b) { return (ds->images[size_t(a)].review == "unreviewed") > (ds->images[size_t(b)].review == "unreviewed"); });
    for (int i : order) {
        const auto& im = ds->images[size_t(i)];
        auto* it = new QListWidgetItem(QStringLiteral("%1  ·  %2").arg(q(im.key), q(im.review)), m_queue);
        it->setData(Qt::UserRole, i);
        it->setForeground(statusColor(im.review));
        if (!im.reviewComment.empty())
            it->setToolTip(q(im.reviewComment));
        if (i == m_image)
            m_queue->setCurrentItem(it);
    }
}

void CurationPanel::fillAudit()
{
    m_audit->setRowCount(0);
    auto ds = m_c->effective();
    auto* store = m_c->store();
    if (!ds || !store || m_image < 0 || m_image >= int(ds->images.size()))
        return;
    const std::string key = ds->images[size_t(m_image)].key;
    std::vector<annotations::AuditEntry> rows;
    for (auto& e : store->audit({}, 5000))
        if (e.item == key || e.item.rfind(key + "#", 0) == 0)
            rows.push_back(std::move(e));
    m_audit->setRowCount(int(rows.size()));
    auto shorten = [](const std::string& f, const std::string& v, bool original) {
        if (f == "roi") {
            if (original)
                return QObject::tr("dataset's ROI");
            auto m = RleMask::fromString(v);
            return m ? QObject::tr("mask of %1 px").arg(m->area()) : QStringLiteral("mask");
        }
        if (f == "deleted" || f == "added")
            return original ? QObject::tr("no") : QObject::tr("yes");
        return v.empty() ? QObject::tr("(none)") : q(v);
    };
    for (int r = 0; r < int(rows.size()); ++r) {
        const auto& e = rows[size_t(rows.size()) - 1 - size_t(r)]; // newest first
        const QString item = e.item == key ? tr("image") : q(e.item.substr(key.size()));
        const QStringList cells { q(e.time).mid(5, 11).replace('T', ' '), item, q(e.field),
            shorten(e.field, e.oldValue, e.oldIsOriginal) + QStringLiteral(" → ") + shorten(e.field, e.newValue, e.newIsOriginal),
            q(e.user), q(e.source) };
        m_audit->setRowHeight(r, m_audit->fontMetrics().height() + 6);
        for (int c = 0; c < cells.size(); ++c)
            m_audit->setItem(r, c, new QTableWidgetItem(cells[c]));
    }
    m_audit->resizeColumnsToContents();
}

void CurationPanel::commitField(const QString& field)
{
    if (m_filling || m_key.isEmpty())
        return;
    QComboBox* combo = m_editors.value(field);
    auto ds = m_c->effective();
    if (!combo || !ds)
        return;
    const QString text = combo->currentText().trimmed();
    for (const auto& a : ds->abnormalities)
        if (q(a.key) == m_key && q(annotations::fieldValue(a, field.toStdString())) == text)
            return; // unchanged
    m_error->clear();
    if (!m_c->setAttribute(m_key, field, text))
        fillEditors(); // refused: the editor shows the stored value again, the message stays
}

void CurationPanel::onAbnormalityChosen()
{
    m_key = m_abnormality->currentData().toString();
    m_editor->setTarget(m_image, m_key);
    fillEditors();
    auto ds = m_c->effective();
    if (ds && !m_key.isEmpty())
        for (const auto& a : ds->abnormalities)
            if (q(a.key) == m_key)
                emit abnormalitySelected(a.index);
}

void CurationPanel::addAbnormality()
{
    m_key.clear();
    m_editor->setTarget(m_image, m_key);
    if (m_editor->tool() == RoiEditor::Tool::None || m_editor->tool() == RoiEditor::Tool::Eraser)
        m_editor->setTool(RoiEditor::Tool::Brush);
    fillEditors();
    m_error->setText(tr("Draw the new %1's ROI on the image.").arg(m_newType->currentText()));
}

void CurationPanel::deleteAbnormality()
{
    if (m_key.isEmpty())
        return;
    m_c->deleteAbnormality(m_key);
}

void CurationPanel::accept()
{
    auto ds = m_c->effective();
    if (!ds || m_image < 0)
        return;
    const bool corrected = imageCorrected(*ds, m_c->store(), m_image);
    if (m_c->setReview(m_image, corrected ? QStringLiteral("corrected") : QStringLiteral("reviewed"), m_comment->text()))
        nextUnreviewed();
}

void CurationPanel::flag()
{
    if (m_image < 0)
        return;
    if (m_c->setReview(m_image, QStringLiteral("flagged"), m_comment->text()))
        nextUnreviewed();
}

void CurationPanel::nextUnreviewed()
{
    auto ds = m_c->effective();
    if (!ds || ds->images.empty())
        return;
    const int n = int(ds->images.size());
    for (int k = 1; k <= n; ++k) {
        int i = (std::max(m_image, 0) + k) % n;
        if (ds->images[size_t(i)].review == "unreviewed") {
            emit showImageRequested(i);
            return;
        }
    }
    m_error->setText(tr("Every image is reviewed."));
}

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
// Curation state apart from widgets: the annotation store of the open dataset, the effective dataset (original +
// corrections) every view shows, one undo stack per image (QUndoGroup; the active image's stack is the active
// one), and the reviewer's name. Every edit is an undo command whose redo/undo writes the store (one transaction
// with its audit row), so what is on screen is what is on disk.
#pragma once

#include "core/annotations/store.h"
#include "core/image/mask.h"
#include "ui/datasetcontroller.h"

#include <QHash>
#include <QObject>
#include <QUndoCommand>
#include <QVector>

#include <memory>

class QUndoGroup;
class QUndoStack;

namespace ms::ui
{

class CurationController : public QObject
{
    Q_OBJECT
public:
    explicit CurationController(QObject* parent = nullptr);
    ~CurationController() override;

    // Opens the dataset's store (Store::defaultPath unless $MAMMOSCOPE_ANNOTATIONS names a file) and emits
    // effectiveChanged with every image touched.
    void setDataset(DatasetPtr original);
    DatasetPtr original() const { return m_original; }
    DatasetPtr effective() const { return m_effective; }
    annotations::Store* store() const { return m_store.get(); }
    bool writable() const { return m_store && m_store->writable(); }
    QString storeProblem() const { return m_storeProblem; }
    // The store exists but cannot be read (damaged): the dataset is shown without its corrections and nothing may be
    // exported as if it had none.
    bool storeDamaged() const { return m_storeDamaged; }

    QUndoGroup* undoGroup() const { return m_group; }
    QUndoStack* stackFor(int imageIndex);
    void setActiveImage(int imageIndex);
    int activeImage() const { return m_activeImage; }

    static QString reviewer(); // QSettings curation/reviewer
    static void setReviewer(const QString& name);

    // Edits (each is one undo step on the image's stack). `text` is what the undo history shows.
    // An attribute: merged with the previous step when it edits the same field of the same abnormality.
    bool setAttribute(const QString& abnormalityKey, const QString& field, const QString& value);
    bool revertAbnormality(const QString& abnormalityKey); // every override of it back to the dataset's values
    bool setRoi(const QString& abnormalityKey, const RleMask& mask, const QString& text);
    // Adds an abnormality to an image (type and pathology given, ROI optional); returns its key or empty.
    // `source` Model: proposed by the network (a heatmap region promoted to an ROI), as the audit log records.
    QString addAbnormality(int imageIndex, const QString& type, const RleMask* roi, const QString& pathology = QStringLiteral("BENIGN"),
        annotations::Source source = annotations::Source::Human);
    bool deleteAbnormality(const QString& abnormalityKey);
    bool setReview(int imageIndex, const QString& status, const QString& comment = {});

    // The dataset's own value of a field of an abnormality (the audit's "original").
    std::string originalValue(const std::string& item, const std::string& field) const;
    int imageOfItem(const std::string& item) const; // image index in the effective dataset, -1 if none

    // Applies changes (redo/undo of the commands). Emits failed() with the store's message when it refuses.
    bool apply(const std::vector<annotations::Change>& changes, annotations::Source source = annotations::Source::Human);
    // Re-reads the store when another MammoScope changed it (polled by a timer).
    void checkExternalChanges();

signals:
    void effectiveChanged(ms::ui::DatasetPtr effective, const QVector<int>& touchedImages);
    void failed(const QString& message);
    void storeOpened(const QString& path, bool writable, const QString& problem);
    void changedElsewhere(); // another instance wrote the store; the undo history was cleared

private:
    void push(QUndoCommand* cmd, int imageIndex);
    void rebuild(const QVector<int>& touched);

    DatasetPtr m_original, m_effective;
    std::unique_ptr<annotations::Store> m_store;
    QString m_storeProblem;
    bool m_storeDamaged = false;
    QUndoGroup* m_group = nullptr;
    QHash<QString, QUndoStack*> m_stacks; // by image key
    int m_activeImage = -1;
    bool m_askedReviewer = false;
};

// One step: changes forward (redo) and back (undo). Attribute edits of the same field merge.
class ChangeCommand : public QUndoCommand
{
public:
    ChangeCommand(CurationController* c, std::vector<annotations::Change> forward, std::vector<annotations::Change> backward,
        const QString& text, bool mergeable, annotations::Source source = annotations::Source::Human);
    void redo() override;
    void undo() override;
    int id() const override { return m_mergeable ? 1 : -1; }
    bool mergeWith(const QUndoCommand* other) override;

private:
    CurationController* m_c;
    std::vector<annotations::Change> m_forward, m_backward;
    bool m_mergeable;
    annotations::Source m_source; // of the first redo; undo and later redos are the curator's
    bool m_done = false;
};

} // namespace ms::ui

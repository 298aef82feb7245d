// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/problemspanel.h"

#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace ms::ui
{

ProblemsPanel::ProblemsPanel(QWidget* parent) : QWidget(parent)
{
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(4, 4, 4, 4);
    m_summary = new QLabel(this);
    lay->addWidget(m_summary);
    m_table = new QTableWidget(this);
    m_table->setObjectName(QStringLiteral("problems"));
    m_table->setColumnCount(3);
    m_table->setHorizontalHeaderLabels({ tr("File"), tr("Where"), tr("Problem") });
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    lay->addWidget(m_table, 1);
    connect(m_table, &QTableWidget::cellActivated, this, [this](int row, int) {
        emit problemActivated(m_table->item(row, 0)->data(Qt::UserRole).toString(), m_table->item(row, 1)->text());
    });
    connect(m_table, &QTableWidget::cellClicked, this, [this](int row, int) {
        emit problemActivated(m_table->item(row, 0)->data(Qt::UserRole).toString(), m_table->item(row, 1)->text());
    });
}

void ProblemsPanel::setDataset(DatasetPtr ds)
{
    m_table->setRowCount(0);
    if (!ds) {
        m_summary->clear();
        return;
    }
    m_table->setRowCount(int(ds->problems.size()));
    for (int r = 0; r < int(ds->problems.size()); ++r) {
        const auto& p = ds->problems[size_t(r)];
        const QString file = QString::fromStdString(p.file);
        auto* f = new QTableWidgetItem(QFileInfo(file).fileName());
        f->setData(Qt::UserRole, file);
        f->setToolTip(file);
        m_table->setItem(r, 0, f);
        m_table->setItem(r, 1, new QTableWidgetItem(QString::fromStdString(p.where)));
        auto* m = new QTableWidgetItem(QString::fromStdString(p.message));
        m->setToolTip(QString::fromStdString(p.message));
        m_table->setItem(r, 2, m);
    }
    m_table->resizeColumnToContents(0);
    m_table->resizeColumnToContents(1);
    m_summary->setText(ds->problems.empty()
            ? tr("No problems found while indexing.")
            : tr("%n problem(s) found while indexing; %1 referenced file(s) missing. Click one to go to it.", nullptr,
                int(ds->problems.size()))
                  .arg(ds->missingFiles.size()));
}

int ProblemsPanel::count() const
{
    return m_table->rowCount();
}

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
// The problems found while indexing, as a list the user can click through (not a modal storm).
#pragma once

#include "ui/datasetcontroller.h"

#include <QWidget>

class QTableWidget;
class QLabel;

namespace ms::ui
{

class ProblemsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ProblemsPanel(QWidget* parent = nullptr);
    void setDataset(DatasetPtr ds);
    int count() const;
    QTableWidget* table() const { return m_table; }

signals:
    void problemActivated(const QString& file, const QString& where);

private:
    QTableWidget* m_table = nullptr;
    QLabel* m_summary = nullptr;
};

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/training/chartstyle.h"

#include <QPalette>
#include <qcustomplot.h>

namespace ms::ui
{

void styleChart(QCustomPlot* p, const QPalette& pal)
{
    const QColor bg = pal.color(QPalette::Base), fg = pal.color(QPalette::Text);
    QColor grid = fg;
    grid.setAlpha(40);
    p->setBackground(bg);
    for (QCPAxis* ax : { p->xAxis, p->yAxis, p->yAxis2 }) {
        ax->setBasePen(QPen(fg));
        ax->setTickPen(QPen(fg));
        ax->setSubTickPen(QPen(fg));
        ax->setTickLabelColor(fg);
        ax->setLabelColor(fg);
        ax->grid()->setPen(QPen(grid, 1, Qt::DotLine));
    }
    p->legend->setBrush(QColor(bg.red(), bg.green(), bg.blue(), 200));
    p->legend->setTextColor(fg);
    p->legend->setBorderPen(QPen(grid));
}

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
// One look for every chart of the training workspace: the theme's base and text colours, dotted grid, legend.
#pragma once

class QCustomPlot;
class QPalette;

namespace ms::ui
{

void styleChart(QCustomPlot* plot, const QPalette& palette);

} // namespace ms::ui

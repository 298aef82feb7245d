// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

class QApplication;

namespace ms::ui
{

enum class Theme { Dark, Light };

// Fusion style with a dark reading palette (default) or a light one.
void applyTheme(QApplication& app, Theme t);
Theme themeFromString(const QString& s);
QString themeName(Theme t);

} // namespace ms::ui

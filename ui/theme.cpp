// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/theme.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

namespace ms::ui
{

void applyTheme(QApplication& app, Theme t)
{
    app.setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QPalette p;
    if (t == Theme::Dark) {
        const QColor window(37, 39, 42), base(24, 25, 27), text(218, 220, 224), mid(60, 63, 67), accent(62, 130, 205);
        p.setColor(QPalette::Window, window);
        p.setColor(QPalette::WindowText, text);
        p.setColor(QPalette::Base, base);
        p.setColor(QPalette::AlternateBase, QColor(31, 33, 36));
        p.setColor(QPalette::ToolTipBase, window);
        p.setColor(QPalette::ToolTipText, text);
        p.setColor(QPalette::Text, text);
        p.setColor(QPalette::Button, QColor(48, 50, 54));
        p.setColor(QPalette::ButtonText, text);
        p.setColor(QPalette::BrightText, Qt::white);
        p.setColor(QPalette::Highlight, accent);
        p.setColor(QPalette::HighlightedText, Qt::white);
        p.setColor(QPalette::Link, accent.lighter(130));
        p.setColor(QPalette::Mid, mid);
        p.setColor(QPalette::Dark, QColor(20, 21, 23));
        p.setColor(QPalette::PlaceholderText, QColor(130, 133, 138));
        p.setColor(QPalette::Disabled, QPalette::Text, QColor(110, 112, 116));
        p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(110, 112, 116));
        p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(110, 112, 116));
    } else {
        p = app.style()->standardPalette();
    }
    app.setPalette(p);
}

Theme themeFromString(const QString& s)
{
    return s.compare(QStringLiteral("light"), Qt::CaseInsensitive) == 0 ? Theme::Light : Theme::Dark;
}

QString themeName(Theme t)
{
    return t == Theme::Light ? QStringLiteral("light") : QStringLiteral("dark");
}

} // namespace ms::ui

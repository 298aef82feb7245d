// SPDX-License-Identifier: GPL-3.0-or-later
// dicom3tools' validator on a DICOM file, for the tests of the objects we write: the lines that say Error (or Abort).
// `ran` (optional) is false when dciodvfy is not installed (the list is then empty).
#pragma once

#include <QProcess>
#include <QStandardPaths>
#include <QStringList>

#include <filesystem>

namespace ms::test
{

inline QStringList dciodvfyErrors(const std::filesystem::path& file, bool* ran = nullptr)
{
    if (ran)
        *ran = false;
    const QString tool = QStandardPaths::findExecutable(QStringLiteral("dciodvfy"));
    if (tool.isEmpty())
        return {};
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(tool, { QString::fromStdString(file.string()) });
    if (!p.waitForFinished(60000))
        return { QStringLiteral("dciodvfy did not finish") };
    if (ran)
        *ran = true;
    QStringList errors;
    for (const QString& line : QString::fromUtf8(p.readAll()).split(QLatin1Char('\n')))
        if (line.startsWith(QLatin1String("Error")) || line.contains(QLatin1String("Abort")))
            errors << line;
    return errors;
}

} // namespace ms::test

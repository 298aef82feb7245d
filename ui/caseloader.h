// SPDX-License-Identifier: GPL-3.0-or-later
// Loads what the reading view shows for one image, off the GUI thread: the decoded 16-bit image, its pyramid,
// its DICOM tags, and the ground-truth ROIs as contours (from mask files or circles). Results are immutable.
#pragma once

#include "core/dataset/dataset.h"
#include "core/dicom/dicom.h"
#include "core/image/resample.h"

#include <QColor>
#include <QFuture>
#include <QPolygonF>
#include <QRectF>
#include <QString>
#include <QVector>

#include <memory>
#include <optional>

namespace ms::ui
{

struct RoiOutline {
    int abnormality = -1; // index in Dataset::abnormalities
    QString label; // "1 MALIGNANT mass"
    QString pathology;
    QVector<QPolygonF> contours; // image pixel coordinates
    QRectF bounds;
    QString problem; // why the ROI could not be drawn, if so
};

// A finding of a structured report on this image (a CAD mark): not ground truth, drawn apart from the ROIs.
struct CadMark {
    QPolygonF outline; // image pixels; a circle or point is given as its centre and radius instead
    QPointF centre;
    double radius = 0;
    QString label; // "Mass 0.87"
    QString algorithm; // the SR's algorithm name, when it gives one
    double score = -1;
};

struct LoadedView {
    int imageIndex = -1;
    QString path;
    QString error; // non-empty: show it instead of the image
    ImagePtr image;
    Pyramid pyramid;
    std::optional<dicom::Header> header;
    std::vector<dicom::Tag> tags;
    QVector<RoiOutline> rois;
    QVector<CadMark> cadMarks; // from the DICOM SRs beside the image
    QStringList reportProblems; // SRs that could not be read
    bool chestWallLeft = true; // which edge the chest wall is on, from the image content
    double spacingMm = 0; // 0: unknown
    double decodeMs = 0, totalMs = 0;
};

using LoadedViewPtr = std::shared_ptr<const LoadedView>;

QColor pathologyColor(const QString& pathology);

// The ROI outlines of an image's abnormalities: a curator's RLE mask, else the mask file, else the circle.
QVector<RoiOutline> roiOutlines(const dataset::Dataset& ds, int imageIndex, int imageWidth, int imageHeight);

// The findings the image's SRs report on the image with this SOP Instance UID.
QVector<CadMark> cadMarks(const std::vector<std::string>& reports, const std::string& sopInstanceUid, QStringList* problems = nullptr);

// Loads synchronously (call from a worker thread).
LoadedViewPtr loadView(const dataset::Dataset& ds, int imageIndex);
// Runs loadView on the global thread pool.
QFuture<LoadedViewPtr> loadViewAsync(std::shared_ptr<const dataset::Dataset> ds, int imageIndex);

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/caseloader.h"

#include "core/annotations/roi.h"
#include "core/dataset/loader.h"
#include "core/dicom/objects.h"
#include "core/image/mask.h"
#include "core/image/window.h"
#include "core/imageio/imageio.h"
#include "core/sampling/lesionmap.h"

#include <QElapsedTimer>
#include <QtConcurrent>

#include <cmath>

namespace ms::ui
{

QColor pathologyColor(const QString& p)
{
    if (p == QLatin1String("MALIGNANT"))
        return QColor(240, 80, 70);
    if (p == QLatin1String("BENIGN"))
        return QColor(80, 200, 120);
    if (p == QLatin1String("BENIGN_WITHOUT_CALLBACK"))
        return QColor(90, 170, 240);
    return QColor(240, 200, 60);
}

QVector<RoiOutline> roiOutlines(const dataset::Dataset& ds, int imageIndex, int width, int height)
{
    QVector<RoiOutline> out;
    if (imageIndex < 0 || imageIndex >= int(ds.images.size()))
        return out;
    auto addContours = [](RoiOutline& roi, const Gray8& g, double sx, double sy) {
        for (const auto& poly : imageio::contours(g)) {
            QPolygonF p;
            for (auto [x, y] : poly)
                p << QPointF((x + 0.5) * sx, (y + 0.5) * sy);
            if (p.size() >= 2)
                roi.contours << p;
        }
    };
    for (int ai : ds.images[size_t(imageIndex)].abnormalities) {
        const auto& a = ds.abnormalities[size_t(ai)];
        RoiOutline roi;
        roi.abnormality = ai;
        roi.pathology = QString::fromStdString(a.pathology);
        roi.label = QStringLiteral("%1 %2 %3").arg(a.number).arg(roi.pathology, QString::fromStdString(a.type));
        if (!a.corrected.empty() || a.added)
            roi.label += QStringLiteral(" ✎");
        if (!a.roiRle.empty() || !a.maskPath.empty()) {
            // the one rule (core/annotations/roi.h): curated ROI, else mask file; a mask of the same shape scaled
            // to the image (noted), of another shape refused
            auto r = annotations::resolveRoi(a, width, height);
            if (!r) {
                roi.problem = QString::fromStdString(r.error().toString());
            } else {
                roi.problem = QString::fromStdString(r->note);
                addContours(roi, r->mask.toGray(255), 1.0, 1.0);
            }
        } else if (a.radius > 0) {
            QPolygonF p;
            for (int k = 0; k < 72; ++k) {
                double ang = k * M_PI / 36;
                p << QPointF(a.centerX + a.radius * std::cos(ang), a.centerY + a.radius * std::sin(ang));
            }
            roi.contours << p;
        } else {
            roi.problem = a.added ? QObject::tr("no ROI drawn yet") : QObject::tr("no ROI given for this abnormality");
        }
        for (const auto& p : roi.contours)
            roi.bounds = roi.bounds.isNull() ? p.boundingRect() : roi.bounds.united(p.boundingRect());
        out << roi;
    }
    return out;
}

QVector<CadMark> cadMarks(const std::vector<std::string>& reports, const std::string& sopInstanceUid, QStringList* problems)
{
    QVector<CadMark> out;
    for (const auto& file : reports) {
        auto sr = dicom::readFindingsSr(file);
        if (!sr) {
            if (problems)
                *problems << QString::fromStdString(sr.error().toString());
            continue;
        }
        for (const auto& f : sr->findings) {
            if (f.imageSopInstanceUid != sopInstanceUid || f.points.empty())
                continue;
            CadMark m;
            m.score = f.score;
            m.centre = QPointF(f.points[0].first, f.points[0].second);
            if (f.graphicType == "CIRCLE" && f.points.size() >= 2)
                m.radius = std::hypot(f.points[1].first - f.points[0].first, f.points[1].second - f.points[0].second);
            else if (f.graphicType == "POINT" || f.points.size() < 3)
                m.radius = 6;
            else
                for (const auto& [x, y] : f.points)
                    m.outline << QPointF(x, y);
            m.label = QString::fromStdString(f.type.empty() ? std::string("Finding") : f.type);
            if (f.score >= 0)
                m.label += QStringLiteral(" %1").arg(f.score, 0, 'f', 2);
            m.algorithm = QString::fromStdString(sr->algorithmName);
            out << m;
        }
    }
    return out;
}

LoadedViewPtr loadView(const dataset::Dataset& ds, int imageIndex)
{
    QElapsedTimer total;
    total.start();
    auto out = std::make_shared<LoadedView>();
    out->imageIndex = imageIndex;
    if (imageIndex < 0 || imageIndex >= int(ds.images.size())) {
        out->error = QObject::tr("No such image");
        return out;
    }
    const auto& im = ds.images[size_t(imageIndex)];
    out->path = QString::fromStdString(im.path);
    if (im.path.empty()) {
        out->error = QObject::tr("%1\nThe image file is not in the dataset folder (listed as %2).")
                         .arg(QString::fromStdString(im.key), QString::fromStdString(im.csvPath));
        return out;
    }
    QElapsedTimer t;
    t.start();
    auto li = dataset::loadImage(im.path, true);
    out->decodeMs = double(t.nsecsElapsed()) / 1e6;
    if (!li) {
        out->error = QString::fromStdString(li.error().toString());
        return out;
    }
    auto img = std::make_shared<Image16>(std::move(li->image));
    if (img->spacingX <= 0 && ds.format == dataset::Format::MiniMias)
        img->spacingX = img->spacingY = 0.2; // mini-MIAS: 200 micron pixels (its README)
    out->spacingMm = img->spacingX > 0 ? img->spacingX : 0;
    out->header = std::move(li->header);
    out->tags = std::move(li->tags);
    out->chestWallLeft = sampling::chestWallOnLeft(*img); // the lesion maps' rule: hanging and maps agree
    out->image = img;
    out->pyramid = buildPyramid(out->image, 512);

    out->rois = roiOutlines(ds, imageIndex, img->width, img->height);
    if (!im.reports.empty() && out->header)
        out->cadMarks = cadMarks(im.reports, out->header->sopInstanceUid, &out->reportProblems);
    out->totalMs = double(total.nsecsElapsed()) / 1e6;
    return out;
}

QFuture<LoadedViewPtr> loadViewAsync(std::shared_ptr<const dataset::Dataset> ds, int imageIndex)
{
    return QtConcurrent::run([ds, imageIndex] { return loadView(*ds, imageIndex); });
}

} // namespace ms::ui

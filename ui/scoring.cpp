// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/scoring.h"

#include "core/annotations/roi.h"
#include "core/common/json.h"
#include "core/common/paths.h"
#include "core/dataset/loader.h"
#include "core/metrics/metrics.h"
#include "core/ml/inference.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>

#include <cmath>

namespace ms::ui
{

QString truthKey(const dataset::Dataset& ds, int imageIndex)
{
    QCryptographicHash h(QCryptographicHash::Sha1);
    for (int ai : ds.images[size_t(imageIndex)].abnormalities) {
        const auto& a = ds.abnormalities[size_t(ai)];
        for (const std::string& s : { a.key, a.pathology, a.maskPath, a.roiRle, std::to_string(a.centerX), std::to_string(a.radius) }) {
            h.addData(QByteArrayView(s.data(), qsizetype(s.size())));
            h.addData(QByteArrayView("|", 1));
        }
    }
    return QString::fromLatin1(h.result().toHex().left(16));
}

ScoreJob makeJob(const dataset::Dataset& ds, int imageIndex)
{
    ScoreJob j;
    const auto& im = ds.images[size_t(imageIndex)];
    j.imageIndex = imageIndex;
    j.path = QString::fromStdString(im.path);
    j.truth = truthKey(ds, imageIndex) + (im.groundTruth ? QString() : QStringLiteral("-none"));
    j.hasTruth = im.groundTruth;
    for (int ai : im.abnormalities) {
        j.lesions.push_back(ds.abnormalities[size_t(ai)]);
        j.malignant = j.malignant || ds.abnormalities[size_t(ai)].pathology == "MALIGNANT";
    }
    return j;
}

ImageScore scoreImage(ml::Model& model, const ScoreJob& job)
{
    QElapsedTimer t;
    t.start();
    ImageScore s;
    s.malignant = job.malignant;
    s.hasTruth = job.hasTruth;
    auto li = dataset::loadImage(job.path.toStdString());
    if (!li) {
        s.error = QString::fromStdString(li.error().toString());
        return s;
    }
    auto h = model.denseMap(li->image);
    if (!h) {
        s.error = QString::fromStdString(h.error().toString());
        return s;
    }
    s.malignancy = float(h->score);
    metrics::Heatmap map;
    map.width = h->width;
    map.height = h->height;
    for (float v : h->suspicion())
        s.suspicionMax = std::max(s.suspicionMax, v);
    map.values = h->suspicionLogOdds(); // maxima and peaks on the unsaturated log-odds
    std::vector<RleMask> lesions;
    for (const auto& a : job.lesions)
        if (auto r = annotations::resolveRoi(a, li->image.width, li->image.height))
            lesions.push_back(std::move(r->mask));
    const auto scored = metrics::scoreAgainstLesions(map, h->stride, lesions);
    s.pointing = scored.pointing;
    s.marks = metrics::frocMarks(scored.frocCase);
    s.ms = double(t.nsecsElapsed()) / 1e6;
    return s;
}

ScoreCache::ScoreCache(const QString& modelId)
{
    if (modelId.isEmpty())
        return;
    const QString dir = QString::fromStdString((appCacheDir() / "scores").string());
    QDir().mkpath(dir);
    m_file = dir + QStringLiteral("/") + modelId + QStringLiteral("-v%1.jsonl").arg(kMarksVersion);
    QFile f(m_file);
    if (!f.open(QIODevice::ReadOnly))
        return;
    while (!f.atEnd()) {
        const QByteArray line = f.readLine().trimmed();
        auto j = Json::parse(std::string_view(line.constData(), size_t(line.size())));
        if (!j || !j->isObject())
            continue; // a torn last line of a killed run
        ImageScore s;
        s.malignancy = float((*j)["malignancy"].number(-1));
        s.suspicionMax = float((*j)["suspicion_max"].number(-1));
        s.pointing = int((*j)["pointing"].integer(-1));
        s.malignant = (*j)["malignant"].boolean();
        s.hasTruth = (*j)["has_truth"].boolean(true);
        s.ms = (*j)["ms"].number();
        s.marks.lesions = int((*j)["lesions"].integer());
        const auto& d = (*j)["detections"].elements();
        for (size_t k = 0; k + 1 < d.size(); k += 2)
            s.marks.detections.emplace_back(float(d[k].number()), int(d[k + 1].integer()));
        m_entries.insert(QString::fromStdString((*j)["key"].string()), s);
    }
}

QString ScoreCache::key(const ScoreJob& job)
{
    const QFileInfo fi(job.path);
    return QStringLiteral("%1|%2|%3|%4").arg(job.path).arg(fi.size()).arg(fi.lastModified().toMSecsSinceEpoch()).arg(job.truth);
}

bool ScoreCache::lookup(const ScoreJob& job, ImageScore& out) const
{
    auto it = m_entries.find(key(job));
    if (it == m_entries.end())
        return false;
    out = *it;
    return true;
}

void ScoreCache::append(const ScoreJob& job, const ImageScore& s)
{
    if (m_file.isEmpty() || !s.error.isEmpty())
        return;
    Json j = Json::object();
    j.set("key", key(job).toStdString());
    j.set("malignancy", double(s.malignancy));
    j.set("suspicion_max", double(s.suspicionMax));
    j.set("pointing", s.pointing);
    j.set("malignant", s.malignant);
    j.set("has_truth", s.hasTruth);
    j.set("ms", s.ms);
    j.set("lesions", s.marks.lesions);
    Json d = Json::array();
    for (const auto& [score, hit] : s.marks.detections) {
        d.push(double(score));
        d.push(hit);
    }
    j.set("detections", d);
    // One write of one whole line: a kill leaves at most a torn last line, which reading skips.
    const QByteArray line = QByteArray::fromStdString(j.dump() + "\n");
    QFile f(m_file);
    if (f.open(QIODevice::Append))
        f.write(line);
    m_entries.insert(key(job), s);
}

Agreement agreement(const QHash<int, ImageScore>& scores)
{
    Agreement a;
    std::vector<metrics::FrocMarks> marks;
    std::vector<double> sc;
    std::vector<bool> pos;
    long pointed = 0;
    for (const auto& s : scores) {
        if (!s.error.isEmpty()) {
            ++a.failed;
            continue;
        }
        ++a.images;
        if (!s.hasTruth) {
            ++a.withoutTruth;
            continue;
        }
        if (s.pointing >= 0) {
            ++a.withLesions;
            pointed += s.pointing;
        }
        marks.push_back(s.marks);
        sc.push_back(s.malignancy);
        pos.push_back(s.malignant);
    }
    if (a.withLesions > 0)
        a.pointing = double(pointed) / a.withLesions;
    a.froc = metrics::froc(marks);
    a.auc = metrics::rocAuc(sc, pos);
    return a;
}

QString Agreement::summary() const
{
    if (images == 0)
        return QObject::tr("No image scored yet.");
    QString s = QObject::tr("%1 images scored").arg(images);
    if (failed)
        s += QObject::tr(" (%1 could not be)").arg(failed);
    if (withoutTruth)
        s += QObject::tr("; %1 without ground truth, left out of the figures").arg(withoutTruth);
    s += QStringLiteral("\n");
    s += pointing >= 0 ? QObject::tr("Pointing game %1 (%2 images with lesions)").arg(pointing, 0, 'f', 2).arg(withLesions)
                       : QObject::tr("Pointing game: no image with a lesion");
    QStringList fr;
    for (const auto& p : froc)
        fr << QStringLiteral("%1@%2").arg(p.sensitivity, 0, 'f', 2).arg(p.fpPerImage);
    s += QObject::tr("\nFROC sensitivity at 0.25/0.5/1/2/4 FP per image: %1").arg(fr.join(QStringLiteral(" ")));
    s += std::isfinite(auc) && auc >= 0 ? QObject::tr("\nImage AUC (malignant vs not) %1").arg(auc, 0, 'f', 3)
                                        : QObject::tr("\nImage AUC: n/a (one class only)");
    return s;
}

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace ms::metrics
{

double rocAuc(const std::vector<double>& scores, const std::vector<bool>& positive)
{
    const size_t n = scores.size();
    std::vector<size_t> idx(n);
    std::iota(idx.begin(), idx.end(), size_t(0));
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
    // Mann-Whitney U with average ranks for ties.
    double rankSumPos = 0;
    long nPos = 0, nNeg = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && scores[idx[j + 1]] == scores[idx[i]])
            ++j;
        const double avgRank = (double(i) + double(j)) / 2.0 + 1.0;
        for (size_t k = i; k <= j; ++k)
            if (positive[idx[k]])
                rankSumPos += avgRank;
        i = j + 1;
    }
    for (bool p : positive)
        (p ? nPos : nNeg)++;
    if (nPos == 0 || nNeg == 0)
        return std::numeric_limits<double>::quiet_NaN();
    return (rankSumPos - double(nPos) * double(nPos + 1) / 2.0) / (double(nPos) * double(nNeg));
}

std::vector<RocPoint> rocCurve(const std::vector<double>& scores, const std::vector<bool>& positive)
{
    std::vector<size_t> idx(scores.size());
    std::iota(idx.begin(), idx.end(), size_t(0));
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    long P = 0, N = 0;
    for (bool p : positive)
        (p ? P : N)++;
    std::vector<RocPoint> out { { 0, 0, std::numeric_limits<double>::infinity() } };
    long tp = 0, fp = 0;
    for (size_t i = 0; i < idx.size(); ++i) {
        (positive[idx[i]] ? tp : fp)++;
        if (i + 1 == idx.size() || scores[idx[i + 1]] != scores[idx[i]])
            out.push_back({ N ? double(fp) / double(N) : 0.0, P ? double(tp) / double(P) : 0.0, scores[idx[i]] });
    }
    return out;
}

Report evaluate(const std::vector<float>& probs, const std::vector<int>& labels, const std::vector<std::string>& names,
    const std::vector<int>& malignant, const std::vector<int>& benign)
{
    Report r;
    const size_t C = names.size(), n = labels.size();
    r.samples = n;
    r.confusion.assign(C, std::vector<long>(C, 0));
    long correct = 0;
    double loss = 0;
    for (size_t i = 0; i < n; ++i) {
        const float* p = &probs[i * C];
        const int pred = int(std::max_element(p, p + C) - p);
        const int t = labels[i];
        if (t < 0 || size_t(t) >= C)
            continue;
        r.confusion[size_t(t)][size_t(pred)]++;
        correct += pred == t;
        loss -= std::log(std::max(1e-12f, p[t]));
    }
    r.accuracy = n ? double(correct) / double(n) : 0;
    r.loss = n ? loss / double(n) : 0;
    double f1sum = 0;
    for (size_t c = 0; c < C; ++c) {
        ClassReport cr;
        cr.name = names[c];
        long tp = r.confusion[c][c], fp = 0, fn = 0;
        for (size_t k = 0; k < C; ++k) {
            if (k != c) {
                fp += r.confusion[k][c];
                fn += r.confusion[c][k];
            }
            cr.support += r.confusion[c][k];
        }
        cr.precision = tp + fp ? double(tp) / double(tp + fp) : 0;
        cr.recall = tp + fn ? double(tp) / double(tp + fn) : 0;
        cr.f1 = cr.precision + cr.recall > 0 ? 2 * cr.precision * cr.recall / (cr.precision + cr.recall) : 0;
        std::vector<double> s(n);
        std::vector<bool> pos(n);
        for (size_t i = 0; i < n; ++i) {
            s[i] = probs[i * C + c];
            pos[i] = labels[i] == int(c);
        }
        cr.auc = rocAuc(s, pos);
        f1sum += cr.f1;
        r.classes.push_back(cr);
    }
    r.macroF1 = C ? f1sum / double(C) : 0;
    r.malignantAuc = std::numeric_limits<double>::quiet_NaN();
    if (!malignant.empty() && !benign.empty()) {
        std::vector<double> s;
        std::vector<bool> pos;
        for (size_t i = 0; i < n; ++i) {
            const bool isM = std::find(malignant.begin(), malignant.end(), labels[i]) != malignant.end();
            const bool isB = std::find(benign.begin(), benign.end(), labels[i]) != benign.end();
            if (!isM && !isB)
                continue;
            double m = 0, b = 0;
            for (int c : malignant)
                m += probs[i * C + size_t(c)];
            for (int c : benign)
                b += probs[i * C + size_t(c)];
            s.push_back(m / std::max(1e-12, m + b));
            pos.push_back(isM);
        }
        r.malignantAuc = rocAuc(s, pos);
    }
    return r;
}

Json Report::toJson() const
{
    Json j = Json::object();
    j.set("samples", samples);
    j.set("accuracy", accuracy);
    j.set("loss", loss);
    j.set("macro_f1", macroF1);
    j.set("malignant_auc", malignantAuc);
    Json cm = Json::array();
    for (const auto& row : confusion) {
        Json r = Json::array();
        for (long v : row)
            r.push(v);
        cm.push(r);
    }
    j.set("confusion", cm);
    Json cl = Json::array();
    for (const auto& c : classes) {
        Json o = Json::object();
        o.set("name", c.name);
        o.set("precision", c.precision);
        o.set("recall", c.recall);
        o.set("f1", c.f1);
        o.set("auc", c.auc);
        o.set("support", c.support);
        cl.push(o);
    }
    j.set("classes", cl);
    return j;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b)
{
    if (a.size() != b.size() || a.size() < 3)
        return std::nan("");
    const double n = double(a.size());
    double ma = 0, mb = 0;
    for (size_t k = 0; k < a.size(); ++k) {
        ma += a[k] / n;
        mb += b[k] / n;
    }
    double sab = 0, saa = 0, sbb = 0;
    for (size_t k = 0; k < a.size(); ++k) {
        sab += (a[k] - ma) * (b[k] - mb);
        saa += (a[k] - ma) * (a[k] - ma);
        sbb += (b[k] - mb) * (b[k] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : std::nan("");
}

} // namespace ms::metrics

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/image/components.h"

#include <algorithm>

namespace ms
{

std::vector<long long> labelComponents(const uint8_t* mask, int w, int h, std::vector<int>& labels)
{
    const size_t n = w > 0 && h > 0 ? size_t(w) * size_t(h) : 0;
    labels.assign(n, 0);
    std::vector<long long> sizes(1, 0);
    std::vector<size_t> stack;
    for (size_t start = 0; start < n; ++start) {
        if (!mask[start] || labels[start])
            continue;
        const int id = int(sizes.size());
        sizes.push_back(0);
        stack.assign(1, start);
        labels[start] = id;
        while (!stack.empty()) {
            const size_t p = stack.back();
            stack.pop_back();
            ++sizes.back();
            const size_t x = p % size_t(w), y = p / size_t(w);
            auto visit = [&](size_t q) {
                if (mask[q] && !labels[q]) {
                    labels[q] = id;
                    stack.push_back(q);
                }
            };
            if (x > 0)
                visit(p - 1);
            if (x + 1 < size_t(w))
                visit(p + 1);
            if (y > 0)
                visit(p - size_t(w));
            if (y + 1 < size_t(h))
                visit(p + size_t(w));
        }
    }
    return sizes;
}

std::vector<uint8_t> largestComponent(const uint8_t* mask, int w, int h)
{
    std::vector<int> labels;
    const auto sizes = labelComponents(mask, w, h, labels);
    std::vector<uint8_t> out(labels.size(), 0);
    if (sizes.size() <= 1)
        return out;
    const int keep = int(std::max_element(sizes.begin() + 1, sizes.end()) - sizes.begin());
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = labels[i] == keep;
    return out;
}

} // namespace ms

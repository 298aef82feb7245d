// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/common/result.h"

namespace ms
{

std::string Error::toString() const
{
    std::string s;
    if (!file.empty())
        s += file + ": ";
    if (!where.empty())
        s += where + ": ";
    s += message;
    return s;
}

} // namespace ms

// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/shards/stamp.h"

#include "core/common/json.h"
#include "core/common/paths.h"

namespace ms::shards
{

bool preparedFromCurrent(const std::filesystem::path& dir, const PreparedFrom& want)
{
    std::error_code ec;
    std::string text;
    if (!std::filesystem::is_regular_file(dir / "dataset.json", ec) || !readFile(dir / kPreparedFromFile, text))
        return false;
    auto j = Json::parse(text);
    if (!j || !j->isObject())
        return false;
    PreparedFrom got;
    got.dataset = (*j)["dataset"].string();
    got.task = (*j)["task"].string();
    got.size = (*j)["size"].integer(-1);
    got.images = (*j)["images"].integer(-1);
    got.abnormalities = (*j)["abnormalities"].integer(-1);
    got.annotations = (*j)["annotations"].string();
    got.annotationRows = (*j)["annotation_rows"].integer(-1);
    return got == want;
}

std::string writePreparedFrom(const std::filesystem::path& dir, const PreparedFrom& from)
{
    Json j = Json::object();
    j.set("dataset", from.dataset);
    j.set("task", from.task);
    j.set("size", from.size);
    j.set("images", from.images);
    j.set("abnormalities", from.abnormalities);
    j.set("annotations", from.annotations);
    j.set("annotation_rows", from.annotationRows);
    return writeFileAtomic(dir / kPreparedFromFile, j.dump(2) + "\n");
}

} // namespace ms::shards

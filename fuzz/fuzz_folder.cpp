// SPDX-License-Identifier: GPL-3.0-or-later
// A folder of images and lesion masks (images/, masks/, a per-image CSV; CDD-CESM's layout) as the reader reads it:
// the input is the CSV; two small images with masks (one right, one the wrong size) stay beside it.
#include "common.h"
#include "core/common/progress.h"
#include "core/dataset/dataset.h"
#include "core/imageio/imageio.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    namespace fs = std::filesystem;
    static const fs::path root = [] {
        const fs::path r = ms::fuzz::scratchDir() / "folder";
        fs::create_directories(r / "images");
        fs::create_directories(r / "masks");
        ms::Gray8 img(32, 48, 90), mask(32, 48, 0), small(8, 8, 255);
        for (int y = 10; y < 20; ++y)
            for (int x = 5; x < 15; ++x)
                mask.at(x, y) = 255;
        (void)ms::imageio::writePng(r / "images" / "P1_L_DM_MLO.png", img);
        (void)ms::imageio::writePng(r / "masks" / "P1_L_DM_MLO.png", mask);
        (void)ms::imageio::writePng(r / "images" / "P1_R_DM_CC.png", img);
        (void)ms::imageio::writePng(r / "masks" / "P1_R_DM_CC_mask.png", small);
        return r;
    }();
    (void)ms::fuzz::writeInput("folder/annotations.csv", data, size);
    ms::Progress none;
    (void)ms::dataset::readImagesMasks(root, none);
    return 0;
}

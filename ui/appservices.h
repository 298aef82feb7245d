// SPDX-License-Identifier: GPL-3.0-or-later
// What the main window works with but does not make: the dataset controller, the thumbnail cache, the curation store's
// controller and, with the engine, the heatmap store and the inference service. The composition root (app/mammoscope's
// main, and the GUI tests and the bench the same way) builds them before the window and lets them outlive it.
#pragma once

#include <memory>

namespace ms::ui
{

class DatasetController;
class ThumbnailCache;
class CurationController;
class HeatmapStore;
class InferenceService;

struct AppServices {
    // Builds the services around a dataset controller the caller owns (it outlives them).
    explicit AppServices(DatasetController* dataset);
    ~AppServices();
    AppServices(const AppServices&) = delete;
    AppServices& operator=(const AppServices&) = delete;

    DatasetController* dataset;
    std::unique_ptr<ThumbnailCache> thumbnails;
    std::unique_ptr<CurationController> curation;
#ifdef MS_WITH_ML
    std::unique_ptr<HeatmapStore> heatmaps;
    std::unique_ptr<InferenceService> inference; // after heatmaps: it writes into them, and goes first
#endif
};

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/appservices.h"

#include "ui/curation/curation.h"
#include "ui/thumbnails.h"
#ifdef MS_WITH_ML
#include "ui/heatmap.h"
#endif

namespace ms::ui
{

AppServices::AppServices(DatasetController* datasetController)
    : dataset(datasetController),
      thumbnails(std::make_unique<ThumbnailCache>()),
      curation(std::make_unique<CurationController>())
#ifdef MS_WITH_ML
      ,
      heatmaps(std::make_unique<HeatmapStore>()),
      inference(std::make_unique<InferenceService>(heatmaps.get()))
#endif
{
}

AppServices::~AppServices() = default;

} // namespace ms::ui

// SPDX-License-Identifier: GPL-3.0-or-later
// The reading area: one image, a CC or MLO pair, or a patient's four views in the mammography hanging protocol
// (R-CC | L-CC over R-MLO | L-MLO), mirrored so the chest walls face each other, all at one physical scale
// (mm on screen), with linked zoom, pan and window/level (each can be unlinked).
#pragma once

#include "ui/caseloader.h"
#include "ui/datasetcontroller.h"
#include "ui/imageview.h"

#include <QFutureWatcher>
#include <QHash>
#include <QWidget>

#include <functional>

#include <array>

class QGridLayout;

namespace ms::ui
{

enum class ReadingLayout { Single, PairCC, PairMLO, FourView };
QString layoutName(ReadingLayout l);
ReadingLayout layoutFromName(const QString& s, bool* ok = nullptr);

class ReadingArea : public QWidget
{
    Q_OBJECT
public:
    explicit ReadingArea(QWidget* parent = nullptr);
    ~ReadingArea() override;

    void setDataset(DatasetPtr ds);
    // The same images with corrected annotations: swaps the dataset and redraws the ROIs of `touched` images
    // (no reload of pixels, views keep their zoom).
    void updateDataset(DatasetPtr ds, const QVector<int>& touched);
    // An editing tool for every view (now and when views are rebuilt); null: none.
    void setViewTool(ViewTool* tool);
    void setLayoutMode(ReadingLayout l);
    ReadingLayout layoutMode() const { return m_layout; }
    void showImage(int imageIndex);
    int currentImage() const { return m_current; }

    void setLinked(bool on);
    bool linked() const { return m_linked; }
    void setLinkWindow(bool on) { m_linkWindow = on; }
    bool linkWindow() const { return m_linkWindow; }
    void setOverlaysVisible(bool on);
    bool overlaysVisible() const { return m_overlays; }
    void setOverlayOpacity(double o);
    void setLabelsVisible(bool on);
    void setLoupe(bool on);
    bool loupe() const { return m_loupe; }
    void setHighlightedAbnormality(int a);
    void zoomToAbnormality(int abnormalityIndex);

    const std::vector<ImageView*>& views() const { return m_views; }
    // Extra overlay layers (heatmaps, detections): the factory makes one for each view, now and when views are rebuilt.
    void addOverlayFactory(std::function<std::shared_ptr<OverlayLayer>()> factory);
    // Repaints every view (an overlay's content changed).
    void updateViews();
    ImageView* activeView() const;
    // The images shown in the slots (-1 for an empty slot).
    std::vector<int> shownImages() const { return m_slotImage; }
    // True when every slot that has an image finished loading.
    bool allLoaded() const;
    LoadedViewPtr loaded(int imageIndex) const { return m_cache.value(imageIndex); }
    void applyWindowToAll(const WindowLevel& w, int voiLut);
    void resetViews();

signals:
    void activeImageChanged(int imageIndex);
    void viewLoaded(int imageIndex, ms::ui::LoadedViewPtr view);
    void pixelInfo(const QString& text);
    void allViewsLoaded();

protected:
    void resizeEvent(QResizeEvent*) override;

private:
    void rebuild();
    void load(size_t slot, int imageIndex);
    void relayoutGeometry();
    int findView(const std::string& patient, const std::string& side, const std::string& view) const;
    void onStateChanged(ImageView* source, const ViewState& s);

    DatasetPtr m_ds;
    ReadingLayout m_layout = ReadingLayout::Single;
    int m_current = -1;
    bool m_linked = true, m_linkWindow = true, m_overlays = true, m_loupe = false;
    double m_opacity = 1.0;
    bool m_labels = true;
    int m_highlight = -1;
    QGridLayout* m_grid = nullptr;
    std::vector<ImageView*> m_views;
    std::vector<int> m_slotImage;
    std::vector<std::function<std::shared_ptr<OverlayLayer>()>> m_overlayFactories;
    std::vector<std::string> m_slotSide;
    std::vector<QFutureWatcher<LoadedViewPtr>*> m_watchers;
    QHash<int, LoadedViewPtr> m_cache;
    QList<int> m_cacheOrder;
    int m_active = 0;
    bool m_propagating = false;
    ViewTool* m_tool = nullptr;
};

} // namespace ms::ui

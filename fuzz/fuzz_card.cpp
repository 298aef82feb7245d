// SPDX-License-Identifier: GPL-3.0-or-later
// Model cards (card.json beside a model's weights) as the app, infer and eval read them: absurd channels, sizes,
// class lists or statistics are an error naming the card.
#include "common.h"
#include "core/models/card.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    (void)ms::models::readCard(ms::fuzz::writeInput("card.json", data, size));
    return 0;
}

// qcustomplot.h spells Qt's `signals`/`slots`/`foreach` keywords, which QT_NO_KEYWORDS switches
// off project-wide (they clash with LibTorch). Include it through this header, from .cpp files
// only.
#pragma once

#define signals Q_SIGNALS
#define slots Q_SLOTS
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef foreach

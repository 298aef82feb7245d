// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/common/json.h"
#include "core/common/paths.h"
#include "core/common/result.h"
#include "core/common/strings.h"

#include <QtTest>

#include <cmath>
#include <limits>

#include <filesystem>

using namespace ms;

class TestCommon : public QObject
{
    Q_OBJECT
private slots:
    // A symbolic link planted at the temporary's name (x.json.tmp) or at the file itself is never written through.
    void atomicWriteNeverFollowsLinks()
    {
        QTemporaryDir d;
        const std::filesystem::path dir = d.path().toStdString();
        const auto victim = dir / "victim.txt";
        QVERIFY(ms::writeFileAtomic(victim, "precious").empty());
        std::filesystem::create_symlink(victim, dir / "x.json.tmp");
        std::filesystem::create_symlink(victim, dir / "y.json");
        QVERIFY(ms::writeFileAtomic(dir / "x.json", "{}").empty());
        QVERIFY(ms::writeFileAtomic(dir / "y.json", "[]").empty());
        std::string v, x, y;
        QVERIFY(ms::readFile(victim, v) && ms::readFile(dir / "x.json", x) && ms::readFile(dir / "y.json", y));
        QCOMPARE(v, std::string("precious"));
        QCOMPARE(x, std::string("{}"));
        QCOMPARE(y, std::string("[]"));
        QVERIFY(!std::filesystem::is_symlink(dir / "y.json"));
    }

    void jsonRoundTrip()
    {
        Json j = Json::object();
        j.set("name", "P_00001 \"quoted\"\n");
        j.set("count", 3103);
        j.set("ratio", 0.25);
        j.set("flag", true);
        j.set("none", Json());
        Json arr = Json::array();
        arr.push(1);
        arr.push("two");
        j.set("list", arr);
        for (int indent : { -1, 2 }) {
            auto back = Json::parse(j.dump(indent));
            QVERIFY(back.ok());
            QCOMPARE(back->dump(), j.dump());
            QCOMPARE(QString::fromStdString((*back)["name"].string()), QStringLiteral("P_00001 \"quoted\"\n"));
            QCOMPARE((*back)["count"].integer(), 3103LL);
            QCOMPARE((*back)["ratio"].number(), 0.25);
            QVERIFY((*back)["none"].isNull());
            QCOMPARE((*back)["list"].size(), size_t(2));
        }
    }
    // A safetensors header can name 300,000 tensors: parsing and looking each one up stays linear (it was quadratic,
    // a hang), duplicate keys still keep the last value, and small objects behave as before.
    void jsonLargeObjects()
    {
        std::string text = "{";
        const int n = 300000;
        for (int i = 0; i < n; ++i)
            text += (i ? ",\"t" : "\"t") + std::to_string(i) + "\":" + std::to_string(i);
        text += ",\"t7\":-7}";
        auto j = Json::parse(text);
        QVERIFY(j.ok());
        QCOMPARE(j->size(), size_t(n));
        long long sum = 0;
        for (int i = 0; i < n; i += 1)
            sum += (*j)["t" + std::to_string(i)].integer(-1000000);
        QCOMPARE(sum, (long long)n * (n - 1) / 2 - 14); // t7 is -7 now
        QVERIFY(!j->find("t300000"));
        QCOMPARE(j->items()[7].first, std::string("t7")); // insertion order kept
        Json o = Json::object();
        for (int i = 0; i < 40; ++i) // across the index threshold
            o.set("k" + std::to_string(i % 35), i);
        QCOMPARE(o.size(), size_t(35));
        QCOMPARE(o["k0"].integer(), 35LL);
        QCOMPARE(o["k4"].integer(), 39LL);
        QCOMPARE(o["k5"].integer(), 5LL);
        const Json copy = o; // the index travels with a copy
        QCOMPARE(copy["k34"].integer(), 34LL);
    }
    // Numbers beyond long long (libFuzzer with UBSan found a crafted 444444444444444444444444444 cast to long long,
    // undefined behaviour): they stay doubles, and integer() clamps instead of casting out of range.
    void jsonHugeNumbers()
    {
        auto j = Json::parse("{\"a\": 444444444444444444444444444, \"b\": -1e300, \"c\": 9007199254740993, \"d\": 1e18}");
        QVERIFY(j.ok());
        QCOMPARE((*j)["a"].integer(), std::numeric_limits<long long>::max());
        QCOMPARE((*j)["b"].integer(), std::numeric_limits<long long>::min());
        QCOMPARE((*j)["a"].number(), 4.44444444444444444e26);
        QCOMPARE((*j)["d"].integer(), 1000000000000000000LL);
        QCOMPARE((*j)["missing"].integer(-3), -3LL);
        QCOMPARE(Json(std::nan("")).integer(7), 7LL);
        // 64-bit integers are exact: 2^53 + 1 does not pass through double, in or out
        QCOMPARE((*j)["c"].integer(), 9007199254740993LL);
        QCOMPARE(QString::fromStdString((*j)["c"].dump()), QStringLiteral("9007199254740993"));
        QCOMPARE(Json(std::numeric_limits<long long>::min()).dump(), std::string("-9223372036854775808"));
        QCOMPARE(Json(18446744073709551615ULL).integer(), std::numeric_limits<long long>::max()); // beyond: a double
        auto seed = Json::parse("{\"seed\": 18446744073709551615, \"s\": 9223372036854775807}");
        QVERIFY(seed.ok());
        QCOMPARE((*seed)["s"].integer(), std::numeric_limits<long long>::max());
        QVERIFY(!(*seed)["seed"].isInteger());
    }
    // Doubles are written shortest-round-trip and read back bit for bit; whole doubles as integers.
    void jsonDoublesRoundTrip()
    {
        for (double d : { 0.1 + 0.2, 1e-300, 5e-324, 1.7976931348623157e308, -2.5, 1.0 / 3.0, 123456789.125 }) {
            auto back = Json::parse(Json(d).dump());
            QVERIFY(back.ok());
            QCOMPARE(back->number(), d);
        }
        QCOMPARE(Json(3.0).dump(), std::string("3"));
        QVERIFY(!Json::parse("1e400").ok()); // overflows double: refused, not infinity
    }
    // What we write is always valid JSON (a Latin-1 name from an old DICOM header must not make an unreadable file),
    // and what we read must be valid UTF-8; nesting is bounded (a crafted file of 100,000 '[' is an error, not a crash).
    void jsonStrictText_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("why");
        QTest::newRow("invalid UTF-8") << QByteArray("{\"name\": \"M\xfcller\"}") << "invalid string: ill-formed UTF-8";
        QTest::newRow("deep") << QByteArray(100000, '[') << "nesting deeper than 200 levels";
        QTest::newRow("comment") << QByteArray("{} // no") << "syntax error";
        QTest::newRow("control character") << QByteArray("[\"a\tb\"]") << "control character";
        QTest::newRow("where") << QByteArray("{\n\"a\": [1, 2,]\n}") << "line 2, column";
    }
    void jsonStrictText()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, why);
        auto j = Json::parse(std::string_view(text.constData(), size_t(text.size())));
        QVERIFY(!j.ok());
        QVERIFY2(QString::fromStdString(j.error().message).contains(why), j.error().message.c_str());
    }
    void jsonWritesValidUtf8()
    {
        Json j = Json::object();
        j.set("name", std::string("M\xfcller^Anna"));
        j.set("ok", std::string("caf\xc3\xa9"));
        const std::string text = j.dump();
        auto back = Json::parse(text);
        QVERIFY2(back.ok(), text.c_str());
        QCOMPARE(QString::fromStdString((*back)["name"].string()), QString::fromUtf8("M\xef\xbf\xbdller^Anna"));
        QCOMPARE(QString::fromStdString((*back)["ok"].string()), QString::fromUtf8("caf\xc3\xa9"));
        Json deep;
        Json* p = &deep;
        for (int i = 1; i < Json::kMaxDepth; ++i) // the outer array and 199 inside it
            p = &p->push(Json::array());
        QVERIFY(Json::parse(deep.dump()).ok()); // exactly the limit reads back
        p->push(Json::array());
        QVERIFY(!Json::parse(deep.dump()).ok());
    }
    void jsonUnicodeEscape()
    {
        auto j = Json::parse(R"({"s":"caf\u00e9 \ud83d\ude00"})");
        QVERIFY(j.ok());
        QCOMPARE(QString::fromStdString((*j)["s"].string()), QString::fromUtf8("caf\xc3\xa9 \xf0\x9f\x98\x80"));
    }
    void jsonErrors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("truncated") << "{\"a\": 1";
        QTest::newRow("trailing") << "{} x";
        QTest::newRow("bad literal") << "[tru]";
        QTest::newRow("unterminated string") << "\"abc";
        QTest::newRow("missing colon") << "{\"a\" 1}";
        QTest::newRow("empty") << "";
    }
    void jsonErrors()
    {
        QFETCH(QString, text);
        auto j = Json::parse(text.toStdString());
        QVERIFY(!j.ok());
        QVERIFY(j.error().message.find("invalid JSON") != std::string::npos);
    }
    void nonFiniteNumbersBecomeNull()
    {
        Json j = Json::object();
        j.set("nan", std::nan(""));
        QCOMPARE(QString::fromStdString(j.dump()), QStringLiteral("{\"nan\":null}"));
    }
    void errorText()
    {
        Error e("breast density '0' is outside 1-4", "calc.csv", "line 544");
        QCOMPARE(QString::fromStdString(e.toString()), QStringLiteral("calc.csv: line 544: breast density '0' is outside 1-4"));
        Result<int> r = e;
        QVERIFY(!r.ok());
        Result<int> v = 5;
        QCOMPARE(*v, 5);
    }
    void parseNumbers()
    {
        QCOMPARE(parseInt(" 42 ").value_or(-1), 42LL);
        QVERIFY(!parseInt("1A").has_value());
        QVERIFY(!parseInt("").has_value());
        QCOMPARE(parseDouble("0.5").value_or(-1), 0.5);
        QVERIFY(!parseDouble("0.5mm").has_value());
    }
};

QTEST_GUILESS_MAIN(TestCommon)
#include "test_common.moc"

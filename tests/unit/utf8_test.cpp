#include <gtest/gtest.h>

#include "support/utf8.h"

using namespace collab;

TEST(Utf8, WellFormedTextOfEveryLengthIsValid) {
  EXPECT_TRUE(valid_utf8("Amélie (2001)"));
  EXPECT_TRUE(valid_utf8("\xE2\x82\xAC"));          // U+20AC, three bytes
  EXPECT_TRUE(valid_utf8("\xF0\x9F\x8E\xAC"));      // U+1F3AC, four bytes
  EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));      // U+10FFFF, the last code point
  EXPECT_TRUE(valid_utf8("\xED\x9F\xBF"));          // U+D7FF, just below the surrogates
  EXPECT_TRUE(valid_utf8(""));
}

TEST(Utf8, OverlongSurrogateAndOutOfRangeEncodingsAreRefused) {
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));             // '/' overlong in two bytes
  EXPECT_FALSE(valid_utf8("\xC1\xBF"));
  EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));         // overlong in three bytes
  EXPECT_FALSE(valid_utf8("\xF0\x80\x80\xAF"));     // overlong in four bytes
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));         // U+D800, a surrogate
  EXPECT_FALSE(valid_utf8("\xED\xBF\xBF"));         // U+DFFF
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));     // U+110000
  EXPECT_FALSE(valid_utf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(valid_utf8("\xFF"));
  EXPECT_FALSE(valid_utf8("\x80"));                 // a stray continuation byte
  EXPECT_FALSE(valid_utf8("abc\xE2\x82"));          // cut short at the end
  EXPECT_FALSE(valid_utf8("\xE2\x28\xA1"));         // a continuation byte missing
}

TEST(Utf8, TerminalSafeTextEscapesControlsAndLeavesLettersAlone) {
  EXPECT_EQ(terminal_safe("Amélie (2001)"), "Amélie (2001)");
  EXPECT_EQ(terminal_safe("\x1b[31mRed\x1b[0m"), "\\x1b[31mRed\\x1b[0m");
  EXPECT_EQ(terminal_safe("a\rb\tc\nd\x7f"), "a\\x0db\\x09c\\x0ad\\x7f");
  EXPECT_EQ(terminal_safe("C1 \xC2\x9B here"), "C1 \\u009b here");  // CSI as a C1 control
  EXPECT_EQ(terminal_safe("\xC2\xA0"), "\xC2\xA0");                  // U+00A0 is not a control
  EXPECT_EQ(terminal_safe("bad \xC0\xAF byte"), "bad \\xc0\\xaf byte");
}

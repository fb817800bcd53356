// Writing results: aligned tables for eyes, JSON and TSV for scripts. Results go to stdout only.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace collab::cli {

bool stderr_is_terminal();

// Columns separated by two spaces; columns named in `right_aligned` are right-aligned. Cells are
// shown through terminal_safe (utf8.h): a title's ESC or CR never reaches the terminal raw.
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows,
                         const std::vector<bool>& right_aligned);

// Prints a line to stdout and flushes it, so that a pipe sees each epoch as it ends.
void print_line(const std::string& line);
void print_json(const nlohmann::json& value);  // one compact line

std::string fixed(double value, int decimals);
// A field for TSV: tabs, newlines and carriage returns would break the row; each becomes a space.
std::string tsv_field(std::string text);

}  // namespace collab::cli

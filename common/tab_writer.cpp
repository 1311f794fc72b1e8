#include "common/tab_writer.hpp"

#include <algorithm>
#include <utility>

// A transcription of Go's text/tabwriter (Write, format, writeLines), so the same input gives
// byte-identical tables; the comments name the Go functions each piece mirrors.

namespace strata {

namespace {

constexpr char k_escape = '\xff';

// The length of the UTF-8 sequence starting at `text[i]`, or 1 when it is not a valid one
// (overlong forms, surrogates and code points above U+10FFFF are invalid, as in Go).
std::size_t rune_length(std::string_view text, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    return 1;
  }
  std::size_t len = 0;
  unsigned lo = 0x80;
  unsigned hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    lo = b0 == 0xe0 ? 0xa0 : 0x80;
    hi = b0 == 0xed ? 0x9f : 0xbf;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    lo = b0 == 0xf0 ? 0x90 : 0x80;
    hi = b0 == 0xf4 ? 0x8f : 0xbf;
  } else {
    return 1;
  }
  if (i + len > text.size()) {
    return 1;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) {
      return 1;
    }
  }
  return len;
}

} // namespace

std::size_t rune_count(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); i += rune_length(text, i)) {
    ++count;
  }
  return count;
}

TabWriter::TabWriter(TabWriterOptions options) : options_(options) {
  if (options_.pad_char == '\t') {
    // Go: tab padding enforces left-alignment.
    options_.flags = static_cast<TabFlag>(static_cast<std::uint8_t>(options_.flags) &
                                          ~static_cast<std::uint8_t>(TabFlag::align_right));
  }
}

bool TabWriter::has(TabFlag flag) const {
  return (static_cast<std::uint8_t>(options_.flags) & static_cast<std::uint8_t>(flag)) != 0;
}

void TabWriter::append(std::string_view text) {
  buf_ += text;
  cell_.size += text.size();
}

void TabWriter::update_width() {
  cell_.width += rune_count(std::string_view(buf_).substr(width_pos_));
  width_pos_ = buf_.size();
}

// Go's endEscape for `Escape`: the two 0xff bytes are in the text but have no width.
void TabWriter::end_escape() {
  update_width();
  cell_.width -= std::min<std::size_t>(cell_.width, 2);
  in_escape_ = false;
}

std::size_t TabWriter::terminate_cell(bool htab) {
  cell_.htab = htab;
  lines_.back().push_back(cell_);
  cell_ = Cell{};
  return lines_.back().size();
}

// Go's Write: split into cells and lines. A line with a single cell cannot influence the lines
// after it (trailing cells belong to no column), so Go flushes there; we do the same so long
// outputs do not accumulate.
void TabWriter::write(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_escape_) {
      if (ch == k_escape) {
        append(text.substr(n, i + 1 - n));
        n = i + 1;
        end_escape();
      }
      continue;
    }
    if (ch == '\t' || ch == '\v' || ch == '\n' || ch == '\f') {
      append(text.substr(n, i - n));
      update_width();
      n = i + 1;
      const std::size_t cells = terminate_cell(ch == '\t');
      if (ch == '\n' || ch == '\f') {
        lines_.emplace_back();
        if (ch == '\f' || cells == 1) {
          format_all();
          if (ch == '\f' && has(TabFlag::debug)) {
            out_ += "---\n";
          }
        }
      }
    } else if (ch == k_escape) {
      append(text.substr(n, i - n));
      update_width();
      n = i;
      in_escape_ = true;
    }
  }
  append(text.substr(n));
}

std::string TabWriter::flush() {
  if (cell_.size > 0) {
    if (in_escape_) {
      end_escape();
    }
    terminate_cell(false);
  }
  format_all();
  return std::exchange(out_, {});
}

// Formats every buffered line into `out_` and resets the buffer (Go's flush + reset).
void TabWriter::format_all() {
  format(0, 0, lines_.size());
  buf_.clear();
  width_pos_ = 0;
  cell_ = Cell{};
  lines_.assign(1, {});
  widths_.clear();
  in_escape_ = false;
}

// Go's format: find the column blocks of column `widths_.size()` in [line0, line1), and recurse
// into each block for the columns to its right once this column's width is known.
std::size_t TabWriter::format(std::size_t pos, std::size_t line0, std::size_t line1) {
  const std::size_t column = widths_.size();
  for (std::size_t line = line0; line < line1; ++line) {
    if (column + 1 >= lines_[line].size()) {
      continue;
    }
    pos = write_lines(pos, line0, line);
    line0 = line;
    std::size_t width = options_.min_width;
    bool discardable = true;
    for (; line < line1 && column + 1 < lines_[line].size(); ++line) {
      const Cell& cell = lines_[line][column];
      width = std::max(width, cell.width + options_.padding);
      discardable = discardable && cell.width == 0 && !cell.htab;
    }
    if (discardable && has(TabFlag::discard_empty_columns)) {
      width = 0;
    }
    widths_.push_back(width);
    pos = format(pos, line0, line);
    widths_.pop_back();
    line0 = line;
    // As in Go, the loop's ++line now skips the line that ended the block: it has no cell in
    // this column, so it cannot start another block.
  }
  return write_lines(pos, line0, line1);
}

std::size_t TabWriter::write_lines(std::size_t pos, std::size_t line0, std::size_t line1) {
  for (std::size_t i = line0; i < line1; ++i) {
    bool use_tabs = has(TabFlag::tab_indent);
    const auto& line = lines_[i];
    for (std::size_t j = 0; j < line.size(); ++j) {
      const Cell& cell = line[j];
      if (j > 0 && has(TabFlag::debug)) {
        out_ += '|';
      }
      const bool in_column = j < widths_.size();
      if (cell.size == 0) {
        if (in_column) {
          write_padding(cell.width, widths_[j], use_tabs);
        }
        continue;
      }
      use_tabs = false;
      if (in_column && has(TabFlag::align_right)) {
        write_padding(cell.width, widths_[j], false);
      }
      out_.append(buf_, pos, cell.size);
      pos += cell.size;
      if (in_column && !has(TabFlag::align_right)) {
        write_padding(cell.width, widths_[j], false);
      }
    }
    if (i + 1 == lines_.size()) {
      // The last buffered line has no newline: emit the unfinished cell as it is.
      out_.append(buf_, pos, cell_.size);
      pos += cell_.size;
    } else {
      out_ += '\n';
    }
  }
  return pos;
}

void TabWriter::write_padding(std::size_t text_width, std::size_t cell_width, bool use_tabs) {
  if (options_.pad_char == '\t' || use_tabs) {
    const std::size_t tab = options_.tab_width;
    if (tab == 0) {
      return; // tabs have no width: no padding possible
    }
    const std::size_t rounded = (cell_width + tab - 1) / tab * tab;
    const std::size_t n = rounded - std::min(rounded, text_width);
    out_.append((n + tab - 1) / tab, '\t');
    return;
  }
  out_.append(cell_width - std::min(cell_width, text_width), options_.pad_char);
}

std::string tabwrite(std::string_view text, TabWriterOptions options) {
  TabWriter writer(options);
  writer.write(text);
  return writer.flush();
}

} // namespace strata

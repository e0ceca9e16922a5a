package dev.chorus.cli.data;

import dev.chorus.core.io.DenseDataset;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads delimited text of numbers into a {@link DenseDataset}: one example per line, one column holding the
 * label and every other column a feature. Immutable; configure with the {@code with…} methods, e.g.
 * <pre>{@code
 * DenseDataset data = CsvReader.defaults().withHeader(true).withLabelColumn("species").read(path);
 * }</pre>
 *
 * <p>Defaults: comma-delimited, no header, label in the first column. Fields are plain decimal numbers
 * ({@code -1.5}, {@code 2e-3}); spaces and tabs around a field and one pair of double quotes around it are
 * ignored, but a quoted field cannot contain the delimiter. Blank lines are skipped; every other line must
 * have as many fields as the first. Input may be gzip-compressed. Errors are {@link IOException}s of the
 * form {@code file:line:column: message}, e.g. {@code iris.csv:12:9: expected a number, got "n/a"}.
 */
public final class CsvReader {

  private static final CsvReader DEFAULTS = new CsvReader(',', false, 0, null);

  private final char delimiter;
  private final boolean header;
  /** Column index of the label; negative counts from the end ({@code -1} is the last column). */
  private final int labelColumn;
  /** Header name of the label column, which then takes precedence over {@link #labelColumn}. */
  private final String labelName;

  private CsvReader(char delimiter, boolean header, int labelColumn, String labelName) {
    this.delimiter = delimiter;
    this.header = header;
    this.labelColumn = labelColumn;
    this.labelName = labelName;
  }

  /** Comma-delimited, no header, label in column 0. */
  public static CsvReader defaults() {
    return DEFAULTS;
  }

  /** @throws IllegalArgumentException if {@code delimiter} is a quote, a digit, a sign, a dot or a line break */
  public CsvReader withDelimiter(char delimiter) {
    if ("\"0123456789+-.eE\r\n".indexOf(delimiter) >= 0) {
      throw new IllegalArgumentException("CsvReader: delimiter '" + delimiter + "' cannot separate numbers");
    }
    return new CsvReader(delimiter, header, labelColumn, labelName);
  }

  /** Whether the first non-blank line names the columns instead of holding an example. */
  public CsvReader withHeader(boolean header) {
    return new CsvReader(delimiter, header, labelColumn, labelName);
  }

  /** The label's 0-based column; negative values count from the end, {@code -1} being the last column. */
  public CsvReader withLabelColumn(int column) {
    return new CsvReader(delimiter, header, column, null);
  }

  /** The label's column by header name; implies {@link #withHeader withHeader(true)}. */
  public CsvReader withLabelColumn(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("CsvReader: label column name must be non-empty, got \"" + name + "\"");
    }
    return new CsvReader(delimiter, true, labelColumn, name);
  }

  /** Reads {@code file}; errors name it as given. */
  public DenseDataset read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(TextInput.utf8Lines(in, file.toString()), file.toString());
    }
  }

  /** Reads UTF-8 (or gzip-compressed UTF-8) text from {@code in}, which the caller closes. */
  public DenseDataset read(InputStream in, String source) throws IOException {
    return read(TextInput.utf8Lines(in, source), source);
  }

  /** Reads from {@code reader}, which the caller closes; {@code source} names it in errors. */
  public DenseDataset read(Reader reader, String source) throws IOException {
    BufferedReader lines = TextInput.buffered(reader);
    TextInput.Floats features = new TextInput.Floats();
    TextInput.Doubles labels = new TextInput.Doubles();
    List<Field> fields = new ArrayList<>();
    int fieldCount = -1;
    int firstLine = 0;
    int label = -1;
    String line;
    for (int lineNumber = 1; (line = TextInput.readLine(lines, lineNumber)) != null; lineNumber++) {
      if (line.isBlank()) {
        continue;
      }
      split(line, fields);
      if (fieldCount < 0) {
        fieldCount = fields.size();
        firstLine = lineNumber;
        if (fieldCount < 2) {
          throw TextInput.error(source, lineNumber, 1, "expected a label and at least one feature separated by '"
              + delimiter + "', got 1 field");
        }
        label = labelIndex(line, fields, source, lineNumber);
        if (header) {
          continue;
        }
      } else if (fields.size() != fieldCount) {
        int column = fields.size() > fieldCount ? fields.get(fieldCount).start + 1 : line.length() + 1;
        throw TextInput.error(source, lineNumber, column, "expected " + fieldCount + " fields as in line " + firstLine
            + ", got " + fields.size());
      }
      for (int f = 0; f < fieldCount; f++) {
        Field field = fields.get(f);
        double value = number(line, field, source, lineNumber, f == label);
        if (f == label) {
          labels.add(value);
        } else {
          features.add((float) value);
        }
      }
    }
    if (fieldCount < 0) {
      throw new IOException(source + ": no data: the input is empty or blank");
    }
    return new DenseDataset(source, labels.size(), fieldCount - 1, features.toArray(), labels.toArray());
  }

  /** The label's index among {@code fields} of the first line (the header, if there is one). */
  private int labelIndex(String line, List<Field> fields, String source, int lineNumber) throws IOException {
    if (labelName != null) {
      List<String> names = new ArrayList<>();
      for (Field field : fields) {
        names.add(line.substring(field.start, field.end));
      }
      int index = names.indexOf(labelName);
      if (index < 0) {
        throw TextInput.error(source, lineNumber, 1, "expected a column named \"" + labelName + "\" in the header, got "
            + names);
      }
      return index;
    }
    int index = labelColumn < 0 ? fields.size() + labelColumn : labelColumn;
    if (index < 0 || index >= fields.size()) {
      throw TextInput.error(source, lineNumber, 1, "label column " + labelColumn + " does not exist: the line has "
          + fields.size() + " fields");
    }
    return index;
  }

  /** The field's value; a feature must also fit a float, the type it is stored as. */
  private static double number(String line, Field field, String source, int lineNumber, boolean isLabel)
      throws IOException {
    if (!TextInput.isDecimal(line, field.start, field.end)) {
      throw TextInput.error(source, lineNumber, field.start + 1, "expected a number as " + (isLabel ? "label" : "feature") + ", got \""
          + line.substring(field.start, field.end) + "\"");
    }
    double value = Double.parseDouble(line.substring(field.start, field.end));
    if (Double.isInfinite(value) || (!isLabel && Float.isInfinite((float) value))) {
      throw TextInput.error(source, lineNumber, field.start + 1, "number out of range: "
          + line.substring(field.start, field.end));
    }
    return value;
  }

  /** A field's content, {@code line[start, end)}, with surrounding blanks and one pair of quotes removed. */
  private record Field(int start, int end) {}

  private void split(String line, List<Field> fields) {
    fields.clear();
    int from = 0;
    while (true) {
      int to = line.indexOf(delimiter, from);
      int end = to < 0 ? line.length() : to;
      int start = from;
      while (start < end && isBlank(line.charAt(start))) {
        start++;
      }
      int stop = end;
      while (stop > start && isBlank(line.charAt(stop - 1))) {
        stop--;
      }
      if (stop - start >= 2 && line.charAt(start) == '"' && line.charAt(stop - 1) == '"') {
        start++;
        stop--;
      }
      fields.add(new Field(start, stop));
      if (to < 0) {
        return;
      }
      from = to + 1;
    }
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }
}

package dev.chorus.cli.data;

import dev.chorus.core.io.SparseDataset;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the sparse LibSVM / SVMlight format into a {@link SparseDataset}: one example per line,
 * <pre>{@code
 * <label> [qid:<n>] <index>:<value> <index>:<value> ... [# comment]
 * }</pre>
 * separated by spaces or tabs, with strictly increasing feature indices. Indices are 1-based as in
 * LIBSVM and SVMlight unless {@link #withZeroBasedIndices zero-based} is chosen; the dataset stores them
 * 0-based. A {@code qid:} token (SVMlight's query id for ranking) right after the label is ignored;
 * everything from {@code #} to the end of the line is a comment; blank and comment-only lines are
 * skipped. Labels and values are plain decimal numbers. The dimension is the largest index seen unless
 * {@link #withDim fixed}. Input may be gzip-compressed.
 *
 * <p>Errors are {@link IOException}s of the form {@code file:line:column: message}, e.g.
 * {@code data.svm:17:9: expected index:value, got "3-0.5"}. Immutable.
 */
public final class LibSvmReader {

  private static final LibSvmReader DEFAULTS = new LibSvmReader(false, -1);
  private static final String QID = "qid:";

  private final boolean zeroBased;
  /** The fixed dimension, or {@code -1} to take the largest index seen. */
  private final int dim;

  private LibSvmReader(boolean zeroBased, int dim) {
    this.zeroBased = zeroBased;
    this.dim = dim;
  }

  /** 1-based indices, dimension inferred. */
  public static LibSvmReader defaults() {
    return DEFAULTS;
  }

  /** Whether feature indices in the file start at 0 instead of 1. */
  public LibSvmReader withZeroBasedIndices(boolean zeroBased) {
    return new LibSvmReader(zeroBased, dim);
  }

  /**
   * Fixes the dimension, so that a file whose largest index happens to be smaller (a test split) gets the
   * same dimension as its training split; a larger index is an error.
   */
  public LibSvmReader withDim(int dim) {
    if (dim < 1) {
      throw new IllegalArgumentException("LibSvmReader: dim must be >= 1, got " + dim);
    }
    return new LibSvmReader(zeroBased, dim);
  }

  /** Reads {@code file}; errors name it as given. */
  public SparseDataset read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(TextInput.utf8Lines(in, file.toString()), file.toString());
    }
  }

  /** Reads UTF-8 (or gzip-compressed UTF-8) text from {@code in}, which the caller closes. */
  public SparseDataset read(InputStream in, String source) throws IOException {
    return read(TextInput.utf8Lines(in, source), source);
  }

  /** Reads from {@code reader}, which the caller closes; {@code source} names it in errors. */
  public SparseDataset read(Reader reader, String source) throws IOException {
    BufferedReader lines = TextInput.buffered(reader);
    TextInput.Doubles labels = new TextInput.Doubles();
    TextInput.Ints rowStart = new TextInput.Ints();
    TextInput.Ints indices = new TextInput.Ints();
    TextInput.Floats values = new TextInput.Floats();
    int base = zeroBased ? 0 : 1;
    int maxIndex = -1;
    rowStart.add(0);
    String line;
    for (int lineNumber = 1; (line = TextInput.readLine(lines, lineNumber)) != null; lineNumber++) {
      int comment = line.indexOf('#');
      int end = comment < 0 ? line.length() : comment;
      int start = skipBlanks(line, 0, end);
      if (start == end) {
        continue;
      }
      int tokenEnd = tokenEnd(line, start, end);
      if (!TextInput.isDecimal(line, start, tokenEnd)) {
        throw TextInput.error(source, lineNumber, start + 1, "expected a numeric label, got \""
            + line.substring(start, tokenEnd) + "\"");
      }
      double label = Double.parseDouble(line.substring(start, tokenEnd));
      if (Double.isInfinite(label)) {
        throw TextInput.error(source, lineNumber, start + 1, "label out of range: " + line.substring(start, tokenEnd));
      }
      int previous = -1;
      boolean first = true;
      for (start = skipBlanks(line, tokenEnd, end); start < end; start = skipBlanks(line, tokenEnd, end)) {
        tokenEnd = tokenEnd(line, start, end);
        if (line.startsWith(QID, start)) {
          if (!first) {
            throw TextInput.error(source, lineNumber, start + 1, "qid:<integer> must directly follow the label, got \""
                + line.substring(start, tokenEnd) + "\" after features");
          }
          if (!TextInput.isDigits(line, start + QID.length(), tokenEnd)) {
            throw TextInput.error(source, lineNumber, start + 1, "expected qid:<integer>, got \""
                + line.substring(start, tokenEnd) + "\"");
          }
          first = false;
          continue;
        }
        first = false;
        int colon = line.indexOf(':', start);
        if (colon < 0 || colon >= tokenEnd) {
          throw TextInput.error(source, lineNumber, start + 1, "expected index:value, got \""
              + line.substring(start, tokenEnd) + "\"");
        }
        int index = featureIndex(line, start, colon, source, lineNumber) - base;
        if (index < 0) {
          throw TextInput.error(source, lineNumber, start + 1, "feature index must be >= " + base + " (indices are "
              + base + "-based), got " + line.substring(start, colon));
        }
        if (index <= previous) {
          throw TextInput.error(source, lineNumber, start + 1, "feature indices must increase, got "
              + line.substring(start, colon) + " after " + (previous + base));
        }
        if (dim > 0 && index >= dim) {
          throw TextInput.error(source, lineNumber, start + 1, "feature index " + line.substring(start, colon)
              + " is beyond the dimension " + dim + " (largest " + base + "-based index " + (dim - 1 + base) + ")");
        }
        if (index == Integer.MAX_VALUE) {
          // The dimension is the largest 0-based index plus one, and has to fit in an int.
          throw TextInput.error(source, lineNumber, start + 1, "feature index " + line.substring(start, colon)
              + " is beyond the largest dimension " + Integer.MAX_VALUE + " (largest " + base + "-based index "
              + (Integer.MAX_VALUE - 1 + base) + ")");
        }
        if (!TextInput.isDecimal(line, colon + 1, tokenEnd)) {
          throw TextInput.error(source, lineNumber, colon + 2, "expected a number as the value of feature "
              + line.substring(start, colon) + ", got \"" + line.substring(colon + 1, tokenEnd) + "\"");
        }
        float value = Float.parseFloat(line.substring(colon + 1, tokenEnd));
        if (Float.isInfinite(value)) {
          throw TextInput.error(source, lineNumber, colon + 2, "value out of float range: "
              + line.substring(colon + 1, tokenEnd));
        }
        indices.add(index);
        values.add(value);
        previous = index;
        maxIndex = Math.max(maxIndex, index);
      }
      labels.add(label);
      rowStart.add(indices.size());
    }
    int rows = labels.size();
    return new SparseDataset(source, rows, dim > 0 ? dim : maxIndex + 1, rowStart.toArray(), indices.toArray(),
        values.toArray(), labels.toArray());
  }

  private static int featureIndex(String line, int start, int colon, String source, int lineNumber)
      throws IOException {
    // Ten digits can exceed an int; longer runs certainly do.
    if (!TextInput.isDigits(line, start, colon) || colon - start > 10
        || Long.parseLong(line.substring(start, colon)) > Integer.MAX_VALUE) {
      throw TextInput.error(source, lineNumber, start + 1, "expected a feature index (an integer from 0 to "
          + Integer.MAX_VALUE + ") before ':', got \"" + line.substring(start, colon) + "\"");
    }
    return Integer.parseInt(line.substring(start, colon));
  }

  private static int skipBlanks(String line, int from, int end) {
    int i = from;
    while (i < end && isBlank(line.charAt(i))) {
      i++;
    }
    return i;
  }

  private static int tokenEnd(String line, int from, int end) {
    int i = from;
    while (i < end && !isBlank(line.charAt(i))) {
      i++;
    }
    return i;
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
  }
}

package dev.chorus.cli.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.io.DenseDataset;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvReaderTest {

  @TempDir
  Path dir;

  private static DenseDataset read(CsvReader reader, String text) throws IOException {
    return reader.read(new StringReader(text), "data.csv");
  }

  private static void assertFails(CsvReader reader, String text, String message) {
    assertThatThrownBy(() -> read(reader, text)).isInstanceOf(IOException.class).hasMessage(message);
  }

  @Test
  void readsLabelFirstWithoutHeaderByDefault() throws IOException {
    DenseDataset data = read(CsvReader.defaults(), "1,0.5,-2\n0, 3e-1 ,+4\n\n2,.25,7.\n");
    assertThat(data.source()).isEqualTo("data.csv");
    assertThat(data.rows()).isEqualTo(3);
    assertThat(data.dim()).isEqualTo(2);
    assertThat(data.features()).containsExactly(0.5f, -2f, 0.3f, 4f, 0.25f, 7f);
    assertThat(data.labels()).containsExactly(1, 0, 2);
    assertThat(data.classLabels()).containsExactly(1, 0, 2);
    assertThat(data.toDense()).isSameAs(data);
  }

  @Test
  void findsTheLabelByHeaderNameOrIndexFromTheEnd() throws IOException {
    String text = "\uFEFFx1;\"target\";x2\r\n1;10;2\r\n3;20;4\r\n";
    DenseDataset byName = read(CsvReader.defaults().withDelimiter(';').withLabelColumn("target"), text);
    assertThat(byName.features()).containsExactly(1f, 2f, 3f, 4f);
    assertThat(byName.labels()).containsExactly(10, 20);
    DenseDataset last = read(CsvReader.defaults().withHeader(true).withDelimiter(';').withLabelColumn(-1), text);
    assertThat(last.features()).containsExactly(1f, 10f, 3f, 20f);
    assertThat(last.labels()).containsExactly(2, 4);
  }

  @Test
  void readsGzippedFilesAndKeepsRealValuedLabels() throws IOException {
    Path file = dir.resolve("targets.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write("0.5,1\n-1.25,2\n".getBytes(StandardCharsets.UTF_8));
    }
    DenseDataset data = CsvReader.defaults().read(file);
    assertThat(data.source()).isEqualTo(file.toString());
    assertThat(data.labels()).containsExactly(0.5, -1.25);
    assertThatThrownBy(data::classLabels).isInstanceOf(IllegalArgumentException.class)
        .hasMessage(file + ": label of row 0 is 0.5; expected a class index (an integer >= 0)");
  }

  @Test
  void malformedLinesNameFileLineAndColumn() {
    CsvReader csv = CsvReader.defaults();
    assertFails(csv, "1,2,3\n0,4,n/a\n", "data.csv:2:5: expected a number as feature, got \"n/a\"");
    assertFails(csv, "1,2,3\n0,4\n", "data.csv:2:4: expected 3 fields as in line 1, got 2");
    assertFails(csv, "1,2,3\n\n0,4,5,6\n", "data.csv:3:7: expected 3 fields as in line 1, got 4");
    assertFails(csv, "x,2,3\n", "data.csv:1:1: expected a number as label, got \"x\"");
    // Java's parser would take these; a data file should not contain them.
    assertFails(csv, "1,NaN\n", "data.csv:1:3: expected a number as feature, got \"NaN\"");
    assertFails(csv, "1,0x1p3\n", "data.csv:1:3: expected a number as feature, got \"0x1p3\"");
    assertFails(csv, "1,2f\n", "data.csv:1:3: expected a number as feature, got \"2f\"");
    assertFails(csv, "1,,3\n", "data.csv:1:3: expected a number as feature, got \"\"");
    assertFails(csv, "1,1e39\n", "data.csv:1:3: number out of range: 1e39");
    assertFails(csv, "7\n", "data.csv:1:1: expected a label and at least one feature separated by ',', got 1 field");
    assertFails(csv, " \n", "data.csv: no data: the input is empty or blank");
    assertFails(csv.withLabelColumn(5), "1,2\n", "data.csv:1:1: label column 5 does not exist: the line has 2 fields");
    assertFails(csv.withLabelColumn("y"), "a,b\n1,2\n", "data.csv:1:1: expected a column named \"y\" in the header, got [a, b]");
  }

  @Test
  void fileErrorsNameThePathAsGiven() throws IOException {
    Path file = dir.resolve("bad.csv");
    Files.writeString(file, "1,2\n1,oops\n");
    assertThatThrownBy(() -> CsvReader.defaults().read(file)).isInstanceOf(IOException.class)
        .hasMessage(file + ":2:3: expected a number as feature, got \"oops\"");
  }
}

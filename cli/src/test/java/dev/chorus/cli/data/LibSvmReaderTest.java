package dev.chorus.cli.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.io.DenseDataset;
import dev.chorus.core.io.SparseDataset;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibSvmReaderTest {

  @TempDir
  Path dir;

  private static SparseDataset read(LibSvmReader reader, String text) throws IOException {
    return reader.read(new StringReader(text), "data.svm");
  }

  private static void assertFails(LibSvmReader reader, String text, String message) {
    assertThatThrownBy(() -> read(reader, text)).isInstanceOf(IOException.class).hasMessage(message);
  }

  @Test
  void readsSparseRowsWithCommentsQidsAndEmptyRows() throws IOException {
    String text = """
        # a comment line
        +1 qid:3 1:0.5 4:-2   # trailing comment
        -1\t2:1e-1
        2
        0 1:1 2:2 3:3 4:4
        """;
    SparseDataset data = read(LibSvmReader.defaults(), text);
    assertThat(data.rows()).isEqualTo(4);
    assertThat(data.dim()).isEqualTo(4);
    assertThat(data.labels()).containsExactly(1, -1, 2, 0);
    assertThat(data.rowStart()).containsExactly(0, 2, 3, 3, 7);
    assertThat(data.indices()).containsExactly(0, 3, 1, 0, 1, 2, 3);
    assertThat(data.values()).containsExactly(0.5f, -2f, 0.1f, 1f, 2f, 3f, 4f);
    assertThat(data.storedValues()).isEqualTo(7);
    DenseDataset dense = data.toDense();
    assertThat(dense.features()).containsExactly(
        0.5f, 0, 0, -2f,
        0, 0.1f, 0, 0,
        0, 0, 0, 0,
        1, 2, 3, 4);
    assertThat(dense.labels()).isSameAs(data.labels());
  }

  @Test
  void zeroBasedIndicesAndAFixedDimension() throws IOException {
    SparseDataset data = read(LibSvmReader.defaults().withZeroBasedIndices(true).withDim(10), "1 0:1 3:2\n");
    assertThat(data.dim()).isEqualTo(10);
    assertThat(data.indices()).containsExactly(0, 3);
    assertFails(LibSvmReader.defaults().withDim(3), "1 1:1 4:2\n",
        "data.svm:1:7: feature index 4 is beyond the dimension 3 (largest 1-based index 3)");
  }

  @Test
  void theLargestIndexLeavesTheDimensionAnInt() throws IOException {
    LibSvmReader zeroBased = LibSvmReader.defaults().withZeroBasedIndices(true);
    assertFails(zeroBased, "1 2147483647:1\n",
        "data.svm:1:3: feature index 2147483647 is beyond the largest dimension 2147483647 (largest 0-based index 2147483646)");
    assertThat(read(zeroBased, "1 2147483646:1\n").dim()).isEqualTo(Integer.MAX_VALUE);
    assertThat(read(LibSvmReader.defaults(), "1 2147483647:1\n").dim()).isEqualTo(Integer.MAX_VALUE);
    assertFails(zeroBased.withDim(Integer.MAX_VALUE), "1 2147483647:1\n",
        "data.svm:1:3: feature index 2147483647 is beyond the dimension 2147483647 (largest 0-based index 2147483646)");
    assertThat(read(zeroBased.withDim(Integer.MAX_VALUE), "1 2147483646:1\n").dim()).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void malformedLinesNameFileLineAndColumn() {
    LibSvmReader svm = LibSvmReader.defaults();
    assertFails(svm, "1 1:2\n0 2:1 3-0.5\n", "data.svm:2:7: expected index:value, got \"3-0.5\"");
    assertFails(svm, "1 1:2 3:x\n", "data.svm:1:9: expected a number as the value of feature 3, got \"x\"");
    assertFails(svm, "1 1:2 3:\n", "data.svm:1:9: expected a number as the value of feature 3, got \"\"");
    assertFails(svm, "1 a:2\n", "data.svm:1:3: expected a feature index (an integer from 0 to 2147483647) before ':', got \"a\"");
    assertFails(svm, "1 99999999999:2\n",
        "data.svm:1:3: expected a feature index (an integer from 0 to 2147483647) before ':', got \"99999999999\"");
    assertFails(svm, "1 0:2\n", "data.svm:1:3: feature index must be >= 1 (indices are 1-based), got 0");
    assertFails(svm, "1 5:2 3:1\n", "data.svm:1:7: feature indices must increase, got 3 after 5");
    assertFails(svm, "1 5:2 5:1\n", "data.svm:1:7: feature indices must increase, got 5 after 5");
    assertFails(svm, "yes 1:1\n", "data.svm:1:1: expected a numeric label, got \"yes\"");
    assertFails(svm, "1 qid:x 1:1\n", "data.svm:1:3: expected qid:<integer>, got \"qid:x\"");
    assertFails(svm, "1 1:1 qid:2\n", "data.svm:1:7: qid:<integer> must directly follow the label, got \"qid:2\" after features");
    assertFails(svm, "1 1:1e40\n", "data.svm:1:5: value out of float range: 1e40");
  }

  @Test
  void fileErrorsNameThePathAsGiven() throws IOException {
    Path file = dir.resolve("data.svm");
    Files.writeString(file, "1 1:1\n".repeat(16) + "0 1:2 3-0.5\n");
    assertThatThrownBy(() -> LibSvmReader.defaults().read(file)).isInstanceOf(IOException.class)
        .hasMessage(file + ":17:7: expected index:value, got \"3-0.5\"");
    assertThat(LibSvmReader.defaults().read(dir.resolve(Files.writeString(dir.resolve("ok.svm"), "1 2:3\n"))).dim())
        .isEqualTo(2);
  }
}

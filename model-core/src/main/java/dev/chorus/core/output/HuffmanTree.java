package dev.chorus.core.output;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The Huffman tree of C class counts, in word2vec's layout: leaves are the classes {@code 0..C−1}, inner nodes
 * {@code 0..C−2} (node ids {@code C..2C−2}, the root last), and each class has its path from the root as a list of
 * inner nodes and the bit taken at each (0 for the first-merged, lighter child). Built by the two-queue method on
 * the counts sorted ascending (ties by class id), O(C log C), so equal counts always give the same tree.
 */
final class HuffmanTree {

  private final int classes;
  private final int[] pathStart;
  private final int[] pathNodes;
  private final byte[] pathBits;
  /** Children of inner node n: node ids, a leaf if below {@code classes}; index 0 takes bit 0. */
  private final int[][] children;

  HuffmanTree(long[] counts) {
    classes = counts.length;
    int nodes = 2 * classes - 1;
    long[] weight = Arrays.copyOf(counts, nodes);
    int[] parent = new int[nodes];
    byte[] bit = new byte[nodes];
    children = new int[2][classes - 1];
    Integer[] sorted = IntStream.range(0, classes).boxed().toArray(Integer[]::new);
    Arrays.sort(sorted, Comparator.comparingLong((Integer c) -> counts[c]).thenComparingInt(c -> c));
    int leaf = 0;
    int innerRead = classes;
    for (int next = classes; next < nodes; next++) {
      for (int side = 0; side < 2; side++) {
        int taken;
        // Inner nodes are created in non-decreasing weight, so the lightest node heads one of the two queues.
        if (leaf < classes && (innerRead >= next || weight[sorted[leaf]] <= weight[innerRead])) {
          taken = sorted[leaf++];
        } else {
          taken = innerRead++;
        }
        parent[taken] = next;
        bit[taken] = (byte) side;
        children[side][next - classes] = taken;
        weight[next] += weight[taken];
      }
    }
    pathStart = new int[classes + 1];
    int root = nodes - 1;
    for (int c = 0; c < classes; c++) {
      int depth = 0;
      for (int n = c; n != root; n = parent[n]) {
        depth++;
      }
      pathStart[c + 1] = pathStart[c] + depth;
    }
    pathNodes = new int[pathStart[classes]];
    pathBits = new byte[pathStart[classes]];
    for (int c = 0; c < classes; c++) {
      int at = pathStart[c + 1];
      for (int n = c; n != root; n = parent[n]) {
        at--;
        pathNodes[at] = parent[n] - classes;
        pathBits[at] = bit[n];
      }
    }
  }

  int classes() {
    return classes;
  }

  /** The inner node at which the tree is entered. */
  int root() {
    return classes - 2;
  }

  int pathLength(int c) {
    return pathStart[c + 1] - pathStart[c];
  }

  /** Inner node {@code step} on class c's path from the root. */
  int pathNode(int c, int step) {
    return pathNodes[pathStart[c] + step];
  }

  /** The bit taken at step {@code step} of class c's path. */
  int pathBit(int c, int step) {
    return pathBits[pathStart[c] + step];
  }

  /** Inner node n's child on bit {@code side}, as a node id: a class if below {@link #classes()}. */
  int child(int n, int side) {
    return children[side][n];
  }
}

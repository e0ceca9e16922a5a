package dev.chorus.core.annotators;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.nn.Dense;
import dev.chorus.core.nn.Network;
import dev.chorus.core.nn.ParameterSet;
import dev.chorus.core.optim.AveragingSpec;
import dev.chorus.core.optim.ParameterAverage;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The averaged body and heads of a {@link DoctorNet} whose spec has {@code averaging}, or that keeps a teacher: each a
 * {@link ParameterAverage} of the live one, moved after every accepted step, the heads that step did not touch
 * included. A head created or reset starts its average at its fresh weights; {@link #rollback} forgets the averages
 * of heads created since {@link #mark} and puts back those a reset replaced. A rejected step never reaches
 * {@link #update}, so it leaves the averages as they were.
 */
final class DoctorNetAverage {

  private final AveragingSpec spec;
  private final Blas blas;
  /** {@code null} for an empty body. */
  private final Network body;
  private final ParameterAverage bodyAverage;
  private final Dense[] heads;
  private final ParameterAverage[] headAverages;
  /** Averages replaced by {@link #resetHead} since the last mark, with their slots, oldest first. */
  private final List<Integer> replacedSlots = new ArrayList<>();
  private final List<Dense> replacedHeads = new ArrayList<>();
  private final List<ParameterAverage> replacedAverages = new ArrayList<>();

  /** Averages of {@code liveBody} ({@code null}: none) starting at its weights, and room for {@code maxHeads}. */
  DoctorNetAverage(AveragingSpec spec, Blas blas, Network liveBody, int maxHeads) {
    this.spec = spec;
    this.blas = blas;
    this.body = liveBody == null ? null : liveBody.copy();
    this.bodyAverage = body == null ? null
        : new ParameterAverage(spec, blas, liveBody.parameters(), body.parameters());
    this.heads = new Dense[maxHeads];
    this.headAverages = new ParameterAverage[maxHeads];
  }

  /** The averaged body, {@code null} for an empty one. */
  Network body() {
    return body;
  }

  /** The averaged heads by slot; the array is this average's own, its slots change with the live ones. */
  Dense[] heads() {
    return heads;
  }

  /** Starts the average of new head {@code slot} at {@code live}'s weights, {@code parameters} its parameter set. */
  void addHead(int slot, Dense live, ParameterSet parameters) {
    Dense head = live.copy();
    heads[slot] = head;
    headAverages[slot] = new ParameterAverage(spec, blas, parameters, new ParameterSet(head.parameters()));
  }

  /** As {@link #addHead} for a head that replaces the one in {@code slot}; {@link #rollback} puts the old one back. */
  void resetHead(int slot, Dense live, ParameterSet parameters) {
    replacedSlots.add(slot);
    replacedHeads.add(heads[slot]);
    replacedAverages.add(headAverages[slot]);
    addHead(slot, live, parameters);
  }

  void mark() {
    replacedSlots.clear();
    replacedHeads.clear();
    replacedAverages.clear();
  }

  /** Forgets the averages of slots {@code markedHeads ..< headCount} and puts back those replaced since the mark. */
  void rollback(int markedHeads, int headCount) {
    for (int h = markedHeads; h < headCount; h++) {
      heads[h] = null;
      headAverages[h] = null;
    }
    for (int i = replacedSlots.size() - 1; i >= 0; i--) {
      int slot = replacedSlots.get(i);
      heads[slot] = replacedHeads.get(i);
      headAverages[slot] = replacedAverages.get(i);
    }
    mark();
  }

  /** Moves the body's and the first {@code headCount} heads' averages after accepted step {@code t} (1 for the first). */
  void update(long t, int headCount) {
    if (bodyAverage != null) {
      bodyAverage.update(t);
    }
    for (int h = 0; h < headCount; h++) {
      headAverages[h].update(t);
    }
  }

  /** Restarts the body's and the first {@code headCount} heads' averages at their live weights. */
  void restart(int headCount) {
    if (bodyAverage != null) {
      bodyAverage.restart();
    }
    for (int h = 0; h < headCount; h++) {
      headAverages[h].restart();
    }
  }

  /** Copies the averaged values into {@code other}, whose first {@code headCount} heads exist. */
  void copyValuesTo(DoctorNetAverage other, int headCount) {
    if (body != null) {
      other.body.parameters().copyValuesFrom(body.parameters());
    }
    for (int h = 0; h < headCount; h++) {
      other.headAverages[h].average().copyValuesFrom(headAverages[h].average());
    }
  }

  /** The averaged body's values, then the first {@code headCount} heads'. */
  void writeValues(DataOutput out, int headCount) throws IOException {
    if (body != null) {
      body.parameters().writeValues(out);
    }
    for (int h = 0; h < headCount; h++) {
      headAverages[h].average().writeValues(out);
    }
  }

  /** Reads what {@link #writeValues} wrote, into heads that exist. */
  void readValues(DataInput in, int headCount) throws IOException {
    if (body != null) {
      body.parameters().readValues(in);
    }
    for (int h = 0; h < headCount; h++) {
      headAverages[h].average().readValues(in);
    }
  }
}

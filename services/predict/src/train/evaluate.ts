/** Scores on the held-out split, from labels as class indices. */

/** Rows are the true class, columns the predicted one. */
export function confusionMatrix(
  actual: readonly number[],
  predicted: readonly number[],
  classCount: number,
): number[][] {
  if (actual.length !== predicted.length) throw new Error('actual and predicted differ in length');
  const matrix = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  actual.forEach((truth, index) => {
    matrix[truth]![predicted[index]!]! += 1;
  });
  return matrix;
}

export function accuracy(matrix: readonly number[][]): number {
  const total = matrix.flat().reduce((sum, n) => sum + n, 0);
  const correct = matrix.reduce((sum, row, i) => sum + row[i]!, 0);
  return total === 0 ? 0 : correct / total;
}

/** The unweighted mean of each class's F1; a class never predicted nor present counts 0. */
export function macroF1(matrix: readonly number[][]): number {
  const scores = matrix.map((row, i) => {
    const truePositives = row[i]!;
    const actual = row.reduce((sum, n) => sum + n, 0);
    const predicted = matrix.reduce((sum, other) => sum + other[i]!, 0);
    return actual + predicted === 0 ? 0 : (2 * truePositives) / (actual + predicted);
  });
  return scores.reduce((sum, f1) => sum + f1, 0) / scores.length;
}

/** The accuracy on `test` of always answering the class most frequent in `train` (the first on a tie). */
export function majorityBaseline(train: readonly number[], test: readonly number[], classCount: number): number {
  const counts = new Array<number>(classCount).fill(0);
  for (const label of train) counts[label]! += 1;
  const majority = counts.indexOf(Math.max(...counts));
  return test.length === 0 ? 0 : test.filter((label) => label === majority).length / test.length;
}

import { InvalidArgumentError } from 'commander';
import { checkModelName } from '../models/registry.js';
import { isModelFile } from '../models/userModel.js';

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`'${value}' is not an integer.`);
    if (n < min || n > max) throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `must be >= ${min}.` : `must be in ${min}..${max}.`);
    return n;
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`'${value}' is not a positive number.`);
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`'${value}' is not a number >= 0.`);
  return n;
}

export function fraction(value: string): number {
  const n = nonNegativeNumber(value);
  if (n >= 1) throw new InvalidArgumentError(`'${value}' is not in [0, 1).`);
  return n;
}

/** A comma-separated list of positive numbers, e.g. '0.1,0.2'. */
export function positiveNumberList(value: string): number[] {
  return value.split(',').map((v) => positiveNumber(v.trim()));
}

/** A model name the registry can build (checked before any data is loaded), or a model.json of the user's. */
export function modelName(value: string): string {
  if (isModelFile(value)) return value;
  try {
    return checkModelName(value);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

/** A comma-separated list of positive integers, e.g. '2,4,8'. */
export function positiveIntegerList(value: string): number[] {
  return value.split(',').map((v) => integer(1)(v.trim()));
}

/** Where oneDNN's headers and library are, or null when it is not installed. */
export function locate(): { include: string; lib: string } | null;

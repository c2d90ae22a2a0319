import path from 'node:path/posix';

/** A process's cgroups, from `/proc/self/cgroup`: the v2 path, and the v1 path of each controller. */
export interface ProcessCgroups {
  /** The path of the unified (v2) hierarchy, the `0::<path>` line; undefined when there is none. */
  unified: string | undefined;
  /** v1: controller name (`memory`, `cpu`, `cpuacct`, `pids`, …) → the process's path in its hierarchy. */
  controllers: Map<string, string>;
}

/** Parses `/proc/self/cgroup`: lines `<id>:<controllers, comma-separated>:<path>`. */
export function parseProcCgroup(text: string): ProcessCgroups {
  const controllers = new Map<string, string>();
  let unified: string | undefined;
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const names = line.slice(first + 1, second);
    const cgroupPath = line.slice(second + 1);
    if (names === '') {
      unified = cgroupPath;
      continue;
    }
    // "name=systemd" is a named hierarchy with no controller; "cpu,cpuacct" is two controllers in one.
    for (const name of names.split(',')) if (!name.startsWith('name=')) controllers.set(name, cgroupPath);
  }
  return { unified, controllers };
}

/** A cgroup file system mount, from `/proc/self/mountinfo`. */
export interface CgroupMount {
  /** Where it is mounted (`/sys/fs/cgroup/memory`). */
  mountPoint: string;
  /** The cgroup path shown as the mount's root: `/` on the host, the container's own path in some runtimes. */
  root: string;
  version: 1 | 2;
  /** v1: the controllers the hierarchy carries (from the super options: `rw,memory`). */
  controllers: string[];
}

/** Unescapes the octal escapes mountinfo uses for spaces and the like (`\040`). */
const unescape = (field: string) =>
  field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/**
 * Parses `/proc/self/mountinfo` for cgroup mounts. A line is
 * `id parent major:minor root mountPoint options [optional fields…] - fsType source superOptions`.
 */
export function parseMountinfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6 || fields.length < dash + 4) continue;
    const fsType = fields[dash + 1];
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    const superOptions = fields[dash + 3]!.split(',');
    mounts.push({
      mountPoint: unescape(fields[4]!),
      root: unescape(fields[3]!),
      version: fsType === 'cgroup2' ? 2 : 1,
      controllers: fsType === 'cgroup' ? superOptions.filter((option) => !['rw', 'ro'].includes(option)) : [],
    });
  }
  return mounts;
}

/**
 * The directory of the process's cgroup under a mount: the process's path taken relative to the
 * mount's root (a container whose mount root is its own path sees its files at the mount point).
 */
export function cgroupDirectory(mount: CgroupMount, cgroupPath: string): string {
  const relative = path.relative(mount.root, cgroupPath);
  if (relative === '' || relative.startsWith('..')) return mount.mountPoint;
  return path.join(mount.mountPoint, relative);
}

// Types for the one wa-sqlite module the package ships without declarations.
declare module "@journeyapps/wa-sqlite/src/FacadeVFS.js" {
	export class FacadeVFS {
		constructor(name: string, module: object);
		name: string;
		mxPathname: number;
	}
}
